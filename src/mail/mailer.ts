// The one way paperpulse sends mail: Mailer.send(message). Two transports behind it:
//
// - SMTP through nodemailer when SMTP_URL is set: smtp://[user:pass@]host[:port] upgrades with STARTTLS
//   when the server offers it (add ?requireTLS=true to insist), smtps:// speaks TLS from the start.
//   Credentials in the URL are percent-decoded. Other options in the query: maxConnections (default 3),
//   pool=false, ignoreTLS=true, tls.rejectUnauthorized=false (a test server's self-signed certificate),
//   tls.servername.
// - Otherwise .eml files in <data dir>/outbox, so the embedded default works and a person can open them.
//   Each file is written to a temporary name and renamed, so a reader never sees half a message; the
//   name comes from the Message-ID, so sending the same message again replaces its file.
//
// Either way the message itself is composed by mime.ts (one pass, no streams) and nodemailer is handed
// the finished bytes with their envelope.
//
// Every header value is checked: a CR, LF or other control character anywhere in From, To, Subject,
// Message-ID or an extra header makes send() throw HeaderInjectionError before anything is built.
// Failures to deliver are MailDeliveryError, which says whether trying again later can help
// (temporary: 4xx replies, connection problems) or not (permanent: 5xx replies).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { isNormalizedAddress } from './address.ts';
import { assertHeaderName, assertHeaderValue } from './headers.ts';
import { composeRaw } from './mime.ts';

export { HeaderInjectionError } from './headers.ts';

export interface MailMessage {
  /** Defaults to the mailer's From (MAIL_FROM). A display name is allowed: 'paperpulse <pp@example.org>'. */
  from?: string;
  /** One recipient, a plain normalised address (see parseEmailAddress). */
  to: string;
  subject: string;
  text: string;
  /** An HTML alternative; the message is then multipart/alternative. */
  html?: string;
  /** '<id@domain>'; generated when absent. A stable id lets a receiver recognise a resent message. */
  messageId?: string;
  /** Extra headers, e.g. List-Unsubscribe. Names and values are checked like every other header. */
  headers?: Record<string, string>;
  date?: Date;
}

export interface SendResult {
  messageId: string;
  /** The server's final reply ('250 OK ...'), or the file written. */
  response: string;
}

export class MailDeliveryError extends Error {
  constructor(
    message: string,
    /** True when the same message may get through later (4xx reply, connection trouble). */
    readonly temporary: boolean,
    /** The SMTP reply code, when the server gave one. */
    readonly responseCode: number | null = null,
  ) {
    super(message);
    this.name = 'MailDeliveryError';
  }
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  /** Where mail goes, for logs: 'SMTP mail.example.org:587' or the outbox directory (no credentials). */
  readonly description: string;
  send(message: MailMessage): Promise<SendResult>;
  close(): Promise<void>;
}

export interface MailerOptions {
  smtpUrl: string | null;
  /** The data directory; files go to <dataDir>/outbox when there is no SMTP server. */
  dataDir: string;
  /** Default From header (MAIL_FROM). */
  from: string;
}

/** The mailer the configuration asks for. */
export function createMailer(opts: MailerOptions): Mailer {
  return opts.smtpUrl ? smtpMailer(opts.smtpUrl, opts.from) : fileMailer(path.join(opts.dataDir, 'outbox'), opts.from);
}

// ---------------------------------------------------------------------------------------------
// Checking and building

const MESSAGE_ID_RE = /^<[^<>\s@]+@[^<>\s@]+>$/;

/** Throws HeaderInjectionError (or a plain Error for a malformed address) unless every header is safe. */
export function checkMessage(message: MailMessage, defaultFrom: string): void {
  const from = message.from ?? defaultFrom;
  assertHeaderValue('From', from);
  assertHeaderValue('To', message.to);
  assertHeaderValue('Subject', message.subject);
  if (message.messageId !== undefined) {
    assertHeaderValue('Message-ID', message.messageId);
    if (!MESSAGE_ID_RE.test(message.messageId)) throw new Error(`not a Message-ID: ${JSON.stringify(message.messageId)}`);
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    assertHeaderName(name);
    assertHeaderValue(name, value);
  }
  if (!isNormalizedAddress(message.to)) throw new Error(`not a plain, normalised email address: ${JSON.stringify(message.to)}`);
}

/**
 * What nodemailer is given: the message composed in one pass (mime.ts) as raw bytes with its envelope.
 * nodemailer then only speaks SMTP (or writes the file).
 */
function sendOptions(message: MailMessage, defaultFrom: string): { options: SendMailOptions; messageId: string } {
  const composed = composeRaw({ ...message, from: message.from ?? defaultFrom });
  return {
    // Message content never names files or URLs for nodemailer to fetch.
    options: { envelope: composed.envelope as SendMailOptions['envelope'], raw: composed.raw, disableFileAccess: true, disableUrlAccess: true },
    messageId: composed.messageId,
  };
}

// ---------------------------------------------------------------------------------------------
// SMTP

function smtpOptions(smtpUrl: string): Record<string, unknown> {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const q = url.searchParams;
  const bool = (name: string) => (q.has(name) ? q.get(name) === 'true' : undefined);
  const tls: Record<string, unknown> = {};
  if (q.has('tls.rejectUnauthorized')) tls.rejectUnauthorized = q.get('tls.rejectUnauthorized') !== 'false';
  if (q.has('tls.servername')) tls.servername = q.get('tls.servername');
  const pool = q.get('pool') !== 'false';
  return {
    pool,
    maxConnections: pool ? Math.max(1, Math.min(20, Number(q.get('maxConnections') ?? 3) || 3)) : undefined,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: bool('requireTLS'),
    ignoreTLS: bool('ignoreTLS'),
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    tls,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  };
}

/** Turns what nodemailer throws into a MailDeliveryError that says whether to retry. */
export function deliveryError(err: unknown): MailDeliveryError {
  if (err instanceof MailDeliveryError) return err;
  const e = err as { message?: string; responseCode?: number; code?: string; response?: string; command?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const text = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 500);
  // Only a refusal of the recipient (RCPT TO) or of the message (DATA) says something about them. A
  // refused login, sender or connection (AUTH, MAIL FROM, the greeting) is this server's configuration:
  // temporary, so the message waits until it is fixed instead of counting against the address.
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || (e.command && !/^(RCPT|DATA)\b/i.test(e.command))) {
    return new MailDeliveryError(`${e.code ? `${e.code}: ` : ''}${text}`, true, code);
  }
  if (code !== null) return new MailDeliveryError(text, code < 500, code);
  // No reply code: the connection, DNS, TLS or authentication failed, or timed out. Another attempt
  // (or a fixed configuration) can succeed; nothing here says the recipient is bad.
  return new MailDeliveryError(`${e.code ? `${e.code}: ` : ''}${text}`, true, null);
}

function smtpMailer(smtpUrl: string, defaultFrom: string): Mailer {
  const options = smtpOptions(smtpUrl);
  const transport = nodemailer.createTransport(options as never);
  const where = `SMTP ${String(options.host)}:${String(options.port)}${options.secure ? ' (TLS)' : ''}`;
  return {
    kind: 'smtp',
    description: where,
    async send(message) {
      checkMessage(message, defaultFrom);
      try {
        const { options, messageId } = sendOptions(message, defaultFrom);
        const info = (await transport.sendMail(options)) as { messageId: string; response: string };
        return { messageId, response: info.response };
      } catch (err) {
        throw deliveryError(err);
      }
    },
    async close() {
      transport.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Files

/** A file name for a Message-ID: readable part plus a hash, so distinct ids never share a file. */
export function emlFileName(messageId: string): string {
  const readable = messageId.replace(/^<|>$/g, '').split('@')[0].replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  const hash = createHash('sha256').update(messageId).digest('hex').slice(0, 12);
  return `${readable}-${hash}.eml`;
}

function fileMailer(dir: string, defaultFrom: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let made = false;
  return {
    kind: 'file',
    description: dir,
    async send(message) {
      checkMessage(message, defaultFrom);
      const { options, messageId } = sendOptions(message, defaultFrom);
      const info = await transport.sendMail(options);
      if (!made) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        made = true;
      }
      const file = path.join(dir, emlFileName(messageId));
      const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, info.message as Buffer, { mode: 0o600 });
        await rename(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        // A full disk or a read-only directory may clear up: the outbox tries again later.
        throw new MailDeliveryError(`cannot write ${file}: ${(err as Error).message}`, true);
      }
      return { messageId, response: `written to ${file}` };
    },
    async close() {},
  };
}
