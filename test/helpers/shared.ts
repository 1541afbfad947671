// ../shared (recorded fixtures, the 57k-paper corpus) sits beside the checkout in CI and on developer
// machines, but not on a user's machine: tests that read it skip with a visible reason when it is absent.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const candidate = process.env.PAPERPULSE_SHARED_DIR ?? path.resolve(root, '../shared');

export const sharedDir: string | null = existsSync(path.join(candidate, 'fixtures')) ? candidate : null;

/** `{ skip }` option for node:test: a reason string when ../shared is absent, else false. */
export const skipWithoutShared: string | false = sharedDir
  ? false
  : 'skipped: ../shared (recorded arXiv fixtures and data) is not beside the checkout';

export const sharedPath = (...parts: string[]) => path.join(sharedDir ?? candidate, ...parts);
export const projectRoot = root;
