// One table of every option paperpulse reads. Each option has an environment variable, an optional
// command-line flag, a default and a parser; secrets are masked when printed. Options marked
// `fileVariant` can also be read from a file named by `<ENV>_FILE` (for container secrets).
// The whole table is validated at start: every bad value is reported, each on its own line.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  dataDir: string;
  databaseUrl: string | null;
  host: string;
  port: number;
  publicUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  arxivApiUrl: string;
  arxivOaiUrl: string;
  /** Minimum pause between two requests to arXiv, in milliseconds (arXiv asks for >= 3 s). */
  arxivIntervalMs: number;
  categories: string[];
  /** Days harvested on the first start of an empty database. */
  initialHarvestDays: number;
  /** Whether `serve` harvests on an empty database and on arXiv's announcement schedule. */
  harvestEnabled: boolean;
  secretKey: string;
  logLevel: string;
  /** What makes the search vectors: the trained built-in model, a local ONNX model folder or an embeddings endpoint. */
  embedder: 'builtin' | 'onnx' | 'openai';
  /** EMBEDDER=onnx: a sentence-transformers ONNX export (config.json, tokenizer.json, onnx/model.onnx). */
  embedderModelDir: string | null;
  /** EMBEDDER=openai: base URL of an OpenAI-compatible API (…/v1), or the full …/embeddings URL. */
  embeddingsUrl: string | null;
  embeddingsModel: string | null;
  embeddingsApiKey: string | null;
  /** Texts per embeddings request. */
  embeddingsBatch: number;
  embeddingsTimeoutMs: number;
  /** Retries of a request answered 429 or 5xx, or that failed to connect or timed out. */
  embeddingsRetries: number;
  /** Papers a member may put on one daily list (moderators and admins are exempt); 0: only moderators submit. */
  submissionDailyQuota: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string) => T;

interface OptionSpec<K extends keyof Config = keyof Config> {
  key: K;
  env: string;
  /** Command-line flag (without dashes) that overrides the environment. */
  flag?: string;
  description: string;
  default: string | null | ((partial: Partial<Config>) => string | null);
  parse: Parser<Config[K]>;
  secret?: boolean;
  fileVariant?: boolean;
}

const CATEGORY_RE = /^[a-z-]+(\.[A-Za-z-]+)?$/;

function parseUrl(protocols: string[]): Parser<string> {
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`"${raw}" is not a URL`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new Error(`must use ${protocols.join(' or ')} (got ${url.protocol})`);
    }
    return raw.replace(/\/+$/, '');
  };
}

function parseInteger(min: number, max: number): Parser<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`${n} is outside ${min}..${max}`);
    return n;
  };
}

function parseDuration(raw: string): number {
  // "3s", "500ms", "2m" or a bare number of milliseconds.
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not a duration (e.g. 3s, 500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

function parseBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`"${raw}" is not a boolean (true/false)`);
}

const nullable = <T>(p: Parser<T>): Parser<T | null> => (raw) => (raw === '' ? null : p(raw));

export const OPTIONS: OptionSpec[] = [
  {
    key: 'dataDir', env: 'PAPERPULSE_DATA_DIR', flag: 'data-dir', default: './data',
    description: 'Directory for the embedded database, the outbox and the generated secret key',
    parse: (raw) => path.resolve(raw),
  },
  {
    key: 'databaseUrl', env: 'DATABASE_URL', default: null, secret: true, fileVariant: true,
    description: 'PostgreSQL server URL; when unset, the embedded PGlite database in <data dir>/db is used',
    parse: nullable(parseUrl(['postgres:', 'postgresql:'])),
  },
  {
    key: 'host', env: 'HOST', flag: 'host', default: '127.0.0.1',
    description: 'Address the web server listens on',
    parse: (raw) => {
      if (!/^[A-Za-z0-9.:\-[\]]+$/.test(raw)) throw new Error(`"${raw}" is not a host name or address`);
      return raw;
    },
  },
  {
    key: 'port', env: 'PORT', flag: 'port', default: '3000',
    description: 'Port the web server listens on (0 picks a free one)',
    parse: parseInteger(0, 65535),
  },
  {
    key: 'publicUrl', env: 'PUBLIC_URL', default: (c) => `http://${c.host ?? '127.0.0.1'}:${c.port ?? 3000}`,
    description: 'Absolute base URL used in links in emails and feeds',
    parse: parseUrl(['http:', 'https:']),
  },
  {
    key: 'smtpUrl', env: 'SMTP_URL', default: null, secret: true, fileVariant: true,
    description: 'SMTP server (smtp:// or smtps://); when unset, mail is written to <data dir>/outbox as .eml files',
    parse: nullable(parseUrl(['smtp:', 'smtps:'])),
  },
  {
    key: 'mailFrom', env: 'MAIL_FROM', default: 'paperpulse <paperpulse@localhost>',
    description: 'From address of outgoing mail',
    parse: (raw) => {
      if (/[\r\n]/.test(raw)) throw new Error('must not contain line breaks');
      return raw;
    },
  },
  {
    key: 'arxivApiUrl', env: 'ARXIV_API_URL', default: 'https://export.arxiv.org/api/query',
    description: 'arXiv query API endpoint (Atom)',
    parse: parseUrl(['http:', 'https:']),
  },
  {
    key: 'arxivOaiUrl', env: 'ARXIV_OAI_URL', default: 'https://oaipmh.arxiv.org/oai',
    description: 'arXiv OAI-PMH endpoint',
    parse: parseUrl(['http:', 'https:']),
  },
  {
    key: 'arxivIntervalMs', env: 'ARXIV_REQUEST_INTERVAL', default: '3s',
    description: 'Pause between requests to arXiv; never below 3s when talking to arxiv.org itself',
    parse: parseDuration,
  },
  {
    key: 'categories', env: 'PAPERPULSE_CATEGORIES', default: 'cs.AI,cs.CL,cs.CV,cs.LG',
    description: 'arXiv categories harvested by serve (comma-separated)',
    parse: (raw) => {
      const cats = raw.split(',').map((c) => c.trim()).filter(Boolean);
      if (cats.length === 0) throw new Error('needs at least one category');
      const bad = cats.filter((c) => !CATEGORY_RE.test(c));
      if (bad.length) throw new Error(`not arXiv categories: ${bad.join(', ')}`);
      return cats;
    },
  },
  {
    key: 'initialHarvestDays', env: 'PAPERPULSE_INITIAL_DAYS', default: '7',
    description: 'Days of papers harvested when serve starts on an empty database',
    parse: parseInteger(1, 60),
  },
  {
    key: 'harvestEnabled', env: 'PAPERPULSE_HARVEST', default: 'true',
    description: 'Harvest arXiv from serve (first start and daily after the announcement)',
    parse: parseBoolean,
  },
  {
    key: 'secretKey', env: 'SECRET_KEY', default: null, secret: true, fileVariant: true,
    description: 'Key for signed links and sessions; generated and kept in <data dir>/secret_key when unset',
    parse: (raw) => {
      if (raw.length < 32) throw new Error('must be at least 32 characters');
      return raw;
    },
  },
  {
    key: 'logLevel', env: 'LOG_LEVEL', default: 'info',
    description: 'Log level: fatal, error, warn, info, debug, trace or silent',
    parse: (raw) => {
      const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
      if (!levels.includes(raw)) throw new Error(`must be one of ${levels.join(', ')}`);
      return raw;
    },
  },
  {
    key: 'embedder', env: 'EMBEDDER', default: 'builtin',
    description: 'What makes the search vectors: builtin (trained by "model train"), onnx (EMBEDDER_MODEL_DIR) or openai (EMBEDDINGS_URL)',
    parse: (raw) => {
      const v = raw.trim().toLowerCase();
      if (v !== 'builtin' && v !== 'onnx' && v !== 'openai') throw new Error(`"${raw}" is not builtin, onnx or openai`);
      return v;
    },
  },
  {
    key: 'embedderModelDir', env: 'EMBEDDER_MODEL_DIR', default: null,
    description: 'EMBEDDER=onnx: folder of a sentence-transformers ONNX export (config.json, tokenizer.json, onnx/model.onnx)',
    parse: nullable(parseOnnxModelDir),
  },
  {
    key: 'embeddingsUrl', env: 'EMBEDDINGS_URL', default: null,
    description: 'EMBEDDER=openai: base URL of an OpenAI-compatible embeddings API, e.g. http://127.0.0.1:11434/v1',
    parse: nullable(parseUrl(['http:', 'https:'])),
  },
  {
    key: 'embeddingsModel', env: 'EMBEDDINGS_MODEL', default: null,
    description: 'EMBEDDER=openai: the model name sent with each request',
    parse: nullable((raw) => raw.trim()),
  },
  {
    key: 'embeddingsApiKey', env: 'EMBEDDINGS_API_KEY', default: null, secret: true, fileVariant: true,
    description: 'EMBEDDER=openai: API key, sent as "Authorization: Bearer"; unset sends none',
    parse: nullable((raw) => {
      if (/[\r\n]/.test(raw)) throw new Error('must not contain line breaks');
      return raw.trim();
    }),
  },
  {
    key: 'embeddingsBatch', env: 'EMBEDDINGS_BATCH', default: '64',
    description: 'EMBEDDER=openai: texts per embeddings request',
    parse: parseInteger(1, 2048),
  },
  {
    key: 'embeddingsTimeoutMs', env: 'EMBEDDINGS_TIMEOUT', default: '60s',
    description: 'EMBEDDER=openai: time limit of one embeddings request',
    parse: (raw) => {
      const ms = parseDuration(raw);
      if (ms < 100) throw new Error('must be at least 100ms');
      return ms;
    },
  },
  {
    key: 'embeddingsRetries', env: 'EMBEDDINGS_RETRIES', default: '4',
    description: 'EMBEDDER=openai: retries of a request answered 429/5xx or that could not connect (exponential backoff)',
    parse: parseInteger(0, 10),
  },
  {
    key: 'submissionDailyQuota', env: 'SUBMISSION_DAILY_QUOTA', default: '5',
    description: 'Papers a member may submit to one daily list (moderators and admins are exempt; 0: only they can submit)',
    parse: parseInteger(0, 1000),
  },
];

/** EMBEDDER_MODEL_DIR: an existing folder holding what a sentence-transformers ONNX export needs. */
function parseOnnxModelDir(raw: string): string {
  const dir = path.resolve(raw);
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  const missing = ['config.json', 'tokenizer.json'].filter((f) => !existsSync(path.join(dir, f)));
  if (!existsSync(path.join(dir, 'onnx', 'model.onnx')) && !existsSync(path.join(dir, 'model.onnx'))) missing.push('onnx/model.onnx');
  if (missing.length) throw new Error(`${dir} is not an ONNX sentence-embedding model folder: ${missing.join(', ')} missing`);
  return dir;
}

/** Options that only make sense together (checked after each option parsed). */
function crossProblems(c: Partial<Config>): string[] {
  const problems: string[] = [];
  if (c.embedder === 'onnx' && c.embedderModelDir === null) problems.push('EMBEDDER=onnx needs EMBEDDER_MODEL_DIR (the model folder)');
  if (c.embedder === 'openai') {
    if (c.embeddingsUrl === null) problems.push('EMBEDDER=openai needs EMBEDDINGS_URL (e.g. http://127.0.0.1:11434/v1)');
    if (c.embeddingsModel === null) problems.push('EMBEDDER=openai needs EMBEDDINGS_MODEL (the model name the endpoint serves)');
  }
  return problems;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, keyed by flag name (e.g. {"data-dir": "/tmp/x"}). */
  flags?: Record<string, string | number | undefined>;
  /** Create the data dir and a secret key file when needed (false for read-only commands in tests). */
  ensureDataDir?: boolean;
}

/** Reads and validates the whole configuration; throws ConfigError listing every bad value. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const flags = opts.flags ?? {};
  const problems: string[] = [];
  const out: Partial<Config> = {};
  for (const spec of OPTIONS) {
    let raw: string | null | undefined;
    let source = spec.env;
    const flagValue = spec.flag ? flags[spec.flag] : undefined;
    if (flagValue !== undefined) {
      raw = String(flagValue);
      source = `--${spec.flag}`;
    } else if (env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env];
    } else if (spec.fileVariant && env[`${spec.env}_FILE`]) {
      source = `${spec.env}_FILE`;
      try {
        raw = readFileSync(env[`${spec.env}_FILE`]!, 'utf8').trim();
      } catch (err) {
        problems.push(`${source}: cannot read ${env[`${spec.env}_FILE`]}: ${(err as Error).message}`);
        continue;
      }
    } else {
      raw = typeof spec.default === 'function' ? spec.default(out) : spec.default;
      source = `${spec.env} (default)`;
    }
    if (raw === null || raw === undefined) {
      (out as Record<string, unknown>)[spec.key] = null;
      continue;
    }
    try {
      (out as Record<string, unknown>)[spec.key] = spec.parse(raw);
    } catch (err) {
      problems.push(`${source}: ${(err as Error).message}`);
    }
  }
  problems.push(...crossProblems(out));
  if (problems.length) throw new ConfigError(problems);
  const config = out as Config;
  if (!config.secretKey) config.secretKey = ensureSecretKey(config.dataDir, opts.ensureDataDir ?? true);
  return config;
}

function ensureSecretKey(dataDir: string, create: boolean): string {
  const file = path.join(dataDir, 'secret_key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  if (create) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return key;
}

/** The effective configuration as printable rows, secrets masked. */
export function describeConfig(config: Config): { env: string; value: string; description: string }[] {
  return OPTIONS.map((spec) => {
    const value = config[spec.key];
    let shown = value === null ? '(unset)' : Array.isArray(value) ? value.join(',') : String(value);
    if (spec.secret && value !== null) shown = maskSecret(String(value));
    return { env: spec.env, value: shown, description: spec.description };
  });
}

function maskSecret(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    if (url.protocol.startsWith('postgres') || url.protocol.startsWith('smtp')) return url.toString();
  } catch {
    // not a URL: mask all of it
  }
  return '****';
}

/** True when the arXiv URL points at arXiv itself, where the 3 s politeness floor always applies. */
export function isRealArxiv(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'arxiv.org' || host.endsWith('.arxiv.org');
}
