// A message (plain text, optionally an HTML alternative) as the bytes handed to SMTP, composed in one
// pass. nodemailer composes a message by streaming its MIME tree through Transform streams with a
// setImmediate between parts and scans each body several times (plain text? long lines? mostly Latin?
// then quoted-printable slice by slice): 2 to 4 ms of CPU for a 25 kB digest, the largest part of
// sending one. Here the headers still come from nodemailer (MimeNode.buildHeaders: address and RFC
// 2047 encoding, folding); the bodies are encoded here, each in one pass:
//
// - 7bit when the text is ASCII with lines of at most 76 characters (then it is sent as it is);
// - quoted-printable (RFC 2045 6.7) otherwise: CRLF line breaks, lines of at most 76 characters, a
//   character's =XX bytes never split by a soft line break, whitespace before a line break encoded;
// - base64 when that is shorter (text that is mostly not Latin).
//
// Line breaks become CRLF, as they do on the wire anyway (SMTP sends every line break as CRLF).
import MimeNode from 'nodemailer/lib/mime-node/index.js';

export interface ComposeInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers (names as given). */
  headers?: Record<string, string>;
  /** '<id@domain>'; generated when absent. */
  messageId?: string;
  date?: Date;
}

export interface RawMessage {
  raw: Buffer;
  envelope: { from: string | false; to: string[] };
  messageId: string;
}

export type TransferEncoding = '7bit' | 'quoted-printable' | 'base64';

/** A text body and the transfer encoding it is written in. */
export function encodeBody(text: string): { encoding: TransferEncoding; body: string } {
  const qp = quotedPrintable(text);
  if (!qp.encoded) return { encoding: '7bit', body: qp.body };
  // base64 takes 4 characters for 3 bytes (plus a CRLF every 76): shorter for mostly non-Latin text.
  const bytes = Buffer.byteLength(text, 'utf-8');
  if (qp.body.length > Math.ceil(bytes / 3) * 4 * (78 / 76)) return { encoding: 'base64', body: base64Lines(Buffer.from(text, 'utf-8')) };
  return { encoding: 'quoted-printable', body: qp.body };
}

export function composeRaw(m: ComposeInput): RawMessage {
  const parts = [
    { type: 'text/plain', content: m.text },
    { type: 'text/html', content: m.html ?? '' },
  ].filter((p) => p.content !== '');
  if (parts.length === 0) parts.push({ type: 'text/plain', content: '' });
  const bodies = parts.map((p) => ({ type: `${p.type}; charset=utf-8`, ...encodeBody(p.content) }));
  const multipart = bodies.length > 1;
  const root = new MimeNode(multipart ? 'multipart/alternative' : bodies[0].type);
  // In nodemailer's order: extra headers, then From, To, Subject, Message-ID, Date.
  if (m.headers) root.addHeader(m.headers);
  root.setHeader('From', m.from);
  root.setHeader('To', m.to);
  root.setHeader('Subject', m.subject);
  if (m.messageId) root.setHeader('Message-ID', m.messageId);
  if (m.date) root.setHeader('Date', m.date.toUTCString().replace(/GMT/, '+0000'));
  if (!multipart) root.setHeader('Content-Transfer-Encoding', bodies[0].encoding);
  const out: string[] = [root.buildHeaders(), '\r\n\r\n'];
  if (multipart) {
    const boundary = String(root.boundary);
    bodies.forEach((b, i) => {
      out.push(`${i > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${b.type}\r\nContent-Transfer-Encoding: ${b.encoding}\r\n\r\n`, b.body);
    });
    out.push(`\r\n--${boundary}--\r\n`);
  } else {
    out.push(bodies[0].body);
  }
  let text = out.join('');
  // The message ends with a line break.
  if (!text.endsWith('\n')) text += '\r\n';
  return { raw: Buffer.from(text, 'utf-8'), envelope: root.getEnvelope(), messageId: root.messageId() };
}

// ---------------------------------------------------------------------------------------------
// Quoted-printable

/** Longest line before a soft break: 75 characters and the '='. */
const MAX = 75;
const ESCAPED = Array.from({ length: 256 }, (_, b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`);

/** The =XX escapes of one code point's UTF-8 bytes (a lone surrogate becomes U+FFFD, as Buffer does). */
function escapeCodePoint(cp: number): string {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return ESCAPED[cp];
  if (cp < 0x800) return ESCAPED[0xc0 | (cp >> 6)] + ESCAPED[0x80 | (cp & 63)];
  if (cp < 0x10000) return ESCAPED[0xe0 | (cp >> 12)] + ESCAPED[0x80 | ((cp >> 6) & 63)] + ESCAPED[0x80 | (cp & 63)];
  return ESCAPED[0xf0 | (cp >> 18)] + ESCAPED[0x80 | ((cp >> 12) & 63)] + ESCAPED[0x80 | ((cp >> 6) & 63)] + ESCAPED[0x80 | (cp & 63)];
}

/** What is escaped: everything but printable ASCII other than '=', space and tab. */
const ESCAPE_RE = /[^\x21-\x3c\x3e-\x7e \t]/g;

/**
 * Quoted-printable text with CRLF line breaks. `encoded` is false when nothing had to be escaped or
 * wrapped (the text is then 7bit as it is). Each line is encoded on its own, so a line seen before is
 * taken from a small cache: digests share most of their lines (the entries of the papers they share).
 */
export function quotedPrintable(text: string): { body: string; encoded: boolean } {
  const lines = text.split(/\r\n|\r|\n/);
  let encoded = false;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    let qp: string | undefined;
    if (line.length < CACHED_LINE) qp = encodeLine(line);
    else if ((qp = lineCache.get(line)) === undefined) {
      if (lineCache.size >= LINE_CACHE_SIZE) lineCache.clear();
      // A copy: the line is a slice that would keep the whole message text alive in the cache.
      const own = copyString(line);
      qp = encodeLine(own);
      lineCache.set(own, qp);
    }
    if (qp !== line) {
      encoded = true;
      lines[l] = qp;
    }
  }
  return { body: lines.join('\r\n'), encoded };
}

const copyString = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/** Lines this long or longer are cached (shorter ones cost less to encode than to look up). */
const CACHED_LINE = 64;
const LINE_CACHE_SIZE = 10_000;
const lineCache = new Map<string, string>();

/** One line (no line breaks) in quoted-printable; the line itself when nothing needs escaping or wrapping. */
function encodeLine(line: string): string {
  const len = line.length;
  const out: string[] = [];
  let col = 0;
  let i = 0;
  while (i < len) {
    // A run of characters written as they are; whitespace that ends the line is escaped below.
    ESCAPE_RE.lastIndex = i;
    const next = ESCAPE_RE.exec(line);
    let j = next ? next.index : len;
    if (j === len && j > i && (line.charCodeAt(j - 1) === 32 || line.charCodeAt(j - 1) === 9)) j--;
    while (i < j) {
      // The last piece of a line may take the 76th column (it needs no '=').
      const room = j === len && j - i <= MAX + 1 - col ? MAX + 1 - col : MAX - col;
      if (room <= 0) {
        out.push('=\r\n');
        col = 0;
        continue;
      }
      const take = Math.min(room, j - i);
      if (take === len) return line;
      out.push(line.slice(i, i + take));
      col += take;
      i += take;
    }
    if (i >= len) break;
    // One character escaped: all of its bytes on one line.
    let cp = line.charCodeAt(i);
    let n = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < len) {
      const lo = line.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        n = 2;
      }
    }
    const esc = escapeCodePoint(cp);
    if (col + esc.length > (i + n === len ? MAX + 1 : MAX)) {
      out.push('=\r\n');
      col = 0;
    }
    out.push(esc);
    col += esc.length;
    i += n;
  }
  return out.join('');
}

function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}
