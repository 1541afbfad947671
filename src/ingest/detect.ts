// Guesses an import file's format from its first bytes, so `import FILE` works without --format.
import type { ImportFormat } from './types.ts';
import { detectJsonlFormat } from './parse-jsonl.ts';

const XML_PROLOG = /^<\?xml[^>]*\?>/;
const XML_SKIP = /^(?:\s+|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>)/;
const ROOT = /^<([A-Za-z_][\w.:-]*)/;
const HF_KEYS = /"(?:paper|summary|upvotes|discussionId)"\s*:/;

/**
 * The format of a document from its first ~64 KB of decoded text: Atom feed -> 'arxiv-atom', OAI-PMH ->
 * 'arxiv-oai', a JSON array -> 'hf-daily', JSON objects -> whatever the first line looks like (a single
 * pretty-printed object -> 'hf-daily', as served by /api/papers/{id}). Null when unrecognised.
 */
export function detectFormat(head: string): ImportFormat | null {
  let s = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  s = s.trimStart();
  if (s.startsWith('<')) return detectXml(s);
  if (s.startsWith('[')) return 'hf-daily';
  if (s.startsWith('{')) return detectJson(s);
  return null;
}

function detectXml(s: string): ImportFormat | null {
  let rest = s.replace(XML_PROLOG, '');
  // Skip whitespace, comments, processing instructions and a DOCTYPE before the root element.
  for (let m = XML_SKIP.exec(rest); m && m[0].length > 0; m = XML_SKIP.exec(rest)) rest = rest.slice(m[0].length);
  const root = ROOT.exec(rest)?.[1];
  if (!root) return null;
  const local = root.includes(':') ? root.slice(root.indexOf(':') + 1) : root;
  if (local === 'feed') return 'arxiv-atom';
  if (local === 'OAI-PMH') return 'arxiv-oai';
  return null;
}

function detectJson(s: string): ImportFormat | null {
  const nl = s.indexOf('\n');
  const firstLine = nl === -1 ? s : s.slice(0, nl);
  const first = tryParse(firstLine);
  if (first !== undefined) {
    // One complete object on the first line: JSON lines (or a one-line single object, which parses alike).
    return detectJsonlFormat(first);
  }
  // The first line is not a whole object: a pretty-printed single object, or a line longer than the head.
  const whole = tryParse(s);
  if (whole !== undefined) return detectJsonlFormat(whole) ?? null;
  // Pretty-printed and longer than the head: a /api/papers/{id} object if it has that shape's keys.
  if (firstLine.trim() === '{' && HF_KEYS.test(s)) return 'hf-daily';
  // A first line cut off by the head limit: go by its keys.
  if (firstLine.includes('"authors_parsed"')) return 'kaggle';
  if (firstLine.includes('"first_listed"')) return 'jsonl';
  if (firstLine.includes('"paper":')) return 'hf-daily';
  return null;
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
