// Error pages: what went wrong, in words, and a way on.
import { html, type SafeHtml } from '../html.ts';

export interface ErrorView {
  title: string;
  body: SafeHtml;
}

const HEADINGS: Record<number, string> = {
  400: 'That address does not work',
  404: 'Page not found',
  500: 'Something went wrong',
};

export function errorPage(status: number, message: string, extra: SafeHtml | '' = ''): ErrorView {
  const heading = HEADINGS[status] ?? (status >= 500 ? HEADINGS[500] : HEADINGS[400]);
  return {
    title: heading,
    body: html`<div class="page-head">
<h1><span class="kicker">Error ${status}</span> ${heading}</h1>
</div>
<section class="empty-state" aria-label="What happened">
<p>${message}</p>
${extra}
<p><a href="/papers">Go to the latest papers</a> or <a href="/papers/trending">see what is trending</a>.</p>
</section>`,
  };
}
