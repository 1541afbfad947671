// The `paperpulse` command line. Each subcommand lives in its own file and registers itself here.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { createContext, type Context, type ContextOptions } from '../context.ts';
import { DatabaseLockedError } from '../db/lock.ts';
import { SchemaTooNewError } from '../db/migrate.ts';
import { DocumentError } from '../ingest/types.ts';
import { registerConfig } from './config.ts';
import { registerDigest } from './digest.ts';
import { registerImport } from './import.ts';
import { registerIngest } from './ingest.ts';
import { registerMigrate } from './migrate.ts';
import { registerModel } from './model.ts';
import { registerServe } from './serve.ts';
import { registerStats } from './stats.ts';
import { registerTrending } from './trending.ts';
import { registerUser } from './user.ts';
import { registerVote } from './vote.ts';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** An error whose message is meant for the user as it is (no stack trace), with an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Options every subcommand accepts that feed the configuration. */
export interface CommonOptions {
  dataDir?: string;
  host?: string;
  port?: string;
}

export function configFrom(opts: CommonOptions): Config {
  return loadConfig({ flags: { 'data-dir': opts.dataDir, host: opts.host, port: opts.port } });
}

export interface CliDeps {
  withContext: <T>(opts: CommonOptions, fn: (ctx: Context) => Promise<T>, ctxOpts?: ContextOptions) => Promise<T>;
}

export const deps: CliDeps = {
  async withContext(opts, fn, ctxOpts = {}) {
    const config = configFrom(opts);
    const ctx = await createContext(config, { migrate: true, ...ctxOpts });
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  },
};

/** Adds the --data-dir option every subcommand takes. */
export function withDataDir(cmd: Command): Command {
  return cmd.option('--data-dir <dir>', 'data directory (embedded database, outbox, secret key); env PAPERPULSE_DATA_DIR', undefined);
}

export function buildProgram(): Command {
  const program = new Command('paperpulse')
    .description('paperpulse: a self-hostable research-paper discovery platform')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Configuration comes from environment variables (see "paperpulse config"); --data-dir, --host and
--port override them. Without DATABASE_URL the embedded database lives in <data dir>/db.

Examples:
  paperpulse serve                          start the web server on http://127.0.0.1:3000
  paperpulse import papers.jsonl.gz         import a bulk file (format detected)
  paperpulse ingest arxiv --ids 2501.00001  fetch papers from arXiv
  paperpulse stats                          what is in the database`,
    );
  registerServe(program, deps);
  registerMigrate(program, deps);
  registerImport(program, deps);
  registerIngest(program, deps);
  registerStats(program, deps);
  registerVote(program, deps);
  registerUser(program, deps);
  registerTrending(program, deps);
  registerDigest(program, deps);
  registerModel(program, deps);
  registerConfig(program);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

function describeError(err: unknown): { message: string; code: number } {
  if (err instanceof CliError) return { message: err.message, code: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, code: 2 };
  if (err instanceof DatabaseLockedError || err instanceof SchemaTooNewError || err instanceof DocumentError) {
    return { message: err.message, code: 1 };
  }
  return { message: (err as Error)?.stack ?? String(err), code: 1 };
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help / version text).
      process.exitCode = err.exitCode === 1 && err.code.startsWith('commander.') ? 2 : err.exitCode;
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
      }
      return;
    }
    const { message, code } = describeError(err);
    process.stderr.write(`paperpulse: ${message}\n`);
    process.exitCode = code;
  }
}
