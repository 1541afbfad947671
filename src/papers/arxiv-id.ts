// Pure parsing of arXiv identifiers as people paste them: bare ids, versioned ids, "arXiv:" prefixes,
// abs/pdf/html URLs, and old-style ids with or without a subject class ("math.GT/0309136").

export interface ArxivId {
  /** Canonical id without version: "2501.00001" or "hep-th/9901001". */
  id: string;
  /** Version number when one was given ("v2" -> 2), else null. */
  version: number | null;
}

// New style (April 2007 on): YYMM.NNNN until 2014, YYMM.NNNNN from 2015.
const NEW_STYLE = /^(\d{4})\.(\d{4,5})(?:v(\d+))?$/;
// Old style: archive[.SUBCLASS]/YYMMNNN
const OLD_STYLE = /^([a-z]+(?:-[a-z]+)*)(?:\.[A-Za-z]{2})?\/(\d{7})(?:v(\d+))?$/;

/** Parses an id or URL; returns null when the text is not an arXiv id. */
export function parseArxivId(input: string): ArxivId | null {
  let s = input.trim();
  if (!s || s.length > 300) return null;
  const url = /^(?:https?:\/\/)?(?:www\.|export\.)?arxiv\.org\/(?:abs|pdf|html|format)\/(.+?)\/?(?:[?#].*)?$/i.exec(s);
  if (url) s = url[1].replace(/\.pdf$/i, '');
  s = s.replace(/^arxiv:\s*/i, '');
  let m = NEW_STYLE.exec(s);
  if (m) {
    const month = Number(m[1].slice(2));
    if (month < 1 || month > 12) return null;
    // Five-digit numbers started in 2015 (1501.xxxxx); four-digit ones ended in 2014.
    const year = Number(m[1].slice(0, 2));
    if ((m[2].length === 5) !== year >= 15) return null;
    return { id: `${m[1]}.${m[2]}`, version: m[3] ? Number(m[3]) : null };
  }
  m = OLD_STYLE.exec(s);
  if (m) {
    const month = Number(m[2].slice(2, 4));
    if (month < 1 || month > 12) return null;
    return { id: `${m[1]}/${m[2]}`, version: m[3] ? Number(m[3]) : null };
  }
  return null;
}

export function isArxivId(s: string): boolean {
  return parseArxivId(s) !== null;
}

export const absUrl = (id: string, version?: number | null) =>
  `https://arxiv.org/abs/${id}${version ? `v${version}` : ''}`;
export const pdfUrl = (id: string, version?: number | null) =>
  `https://arxiv.org/pdf/${id}${version ? `v${version}` : ''}`;
export const htmlUrl = (id: string, version?: number | null) =>
  `https://arxiv.org/html/${id}${version ? `v${version}` : ''}`;
