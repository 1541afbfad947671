// Escaping for the HTML part of emails (the same rules as the pages' html tag, kept here so that mail
// code does not depend on the web layer). Pure.

export class EmailHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export type EmailHtmlValue = EmailHtml | string | number | null | undefined | false | readonly EmailHtmlValue[];

function render(v: EmailHtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof EmailHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** Template tag: interpolated values are escaped unless they are EmailHtml (nested templates). */
export function mailHtml(strings: TemplateStringsArray, ...values: EmailHtmlValue[]): EmailHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new EmailHtml(out);
}
