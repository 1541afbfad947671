#!/usr/bin/env node
// Entry point of the `paperpulse` command. The sources are TypeScript, run through
// tsx's loader so that `npm ci && npm start` needs no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
