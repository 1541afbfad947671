// Author names as keys: the same person written "José Álvarez", "Jose Alvarez" or "jose  alvarez"
// lands on one author page. Pure.

/** Lowercase, accents folded, punctuation dropped, whitespace collapsed. */
export function authorKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** "Zesen Cheng" -> "Z. Cheng"; for compact author lists in emails and cards. */
export function shortName(name: string): string {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return name.trim();
  const last = parts.pop()!;
  return `${parts.map((p) => `${p[0]}.`).join(' ')} ${last}`;
}
