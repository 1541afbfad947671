// A tiny HTML template tag that escapes every interpolated value unless it is already markup.
//
//   html`<a href="/papers/${id}">${title}</a>`     -> id and title are escaped
//   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`  -> nested templates are kept as markup
//   raw(trustedMarkup)                              -> the explicit escape hatch, for constants only
//
// Escaping covers & < > " ' so the result is safe in element content and in quoted attribute values.
// Unicode is left as it is (including bidi controls: the views isolate user text with <bdi> or dir=auto).
// It is not safe inside <script>, <style>, unquoted attributes or URL schemes: views never put values there,
// and URLs from the database pass through safeUrl() first.

/** Markup that is already safe: the result of html`` or raw(). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPE_ALL = /[&<>"']/g;

export function escapeHtml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_ALL, (c) => ESCAPES[c]) : text;
}

/** Marks trusted markup (a constant, or markup built by html``) as safe. Never pass user data. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** What a template accepts: text (escaped), markup, numbers, lists of these; null/undefined/false render nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'string') return escapeHtml(value);
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value) out += render(item);
    return out;
  }
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** An http(s) URL as given, or null for anything else (javascript:, data:, relative, malformed). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}
