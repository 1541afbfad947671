// The page shell every page shares: head, skip link, header (navigation, search, theme and help
// buttons), main, footer and the keyboard-shortcut dialog. The markup contract with the client script
// (src/http/assets/app.ts) and the browser tests lives here: ids, classes and attributes named in
// docs and tests must not change casually.
import { CLIENT_SCRIPT_PATH } from '../client-bundle.ts';
import { stylesheetHref, FAVICON_PATH } from '../assets.routes.ts';
import { plainTitleText } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import { FEED_MEDIA_TYPES, type FeedLink } from '../../../api/paths.ts';

export type Theme = 'light' | 'dark';

/** Which main-navigation entry the page belongs to. */
export type Section = 'daily' | 'trending' | null;

export interface PageOptions {
  /** Page title without the site name. */
  title: string;
  description?: string;
  section?: Section;
  /** Text to show in the search box (the search page). */
  query?: string;
  /** The theme chosen with the toggle (from its cookie); null follows the system. */
  theme: Theme | null;
  /** Ask search engines not to index (error and empty pages). */
  noindex?: boolean;
  /** Feeds of the list the page shows, announced for feed readers (autodiscovery). */
  feeds?: FeedLink[];
  /** The signed-in member (pages rendered for one person); null or absent: the signed-out header. */
  viewer?: HeaderViewer | null;
  body: SafeHtml;
}

/** What the header shows of the signed-in member. */
export interface HeaderViewer {
  /** The member's user id (pages look up their votes, their comments...). */
  id: number;
  username: string;
  /** The session's CSRF token (the sign-out form). */
  csrf: string;
  role: string;
}

function accountMenu(viewer: HeaderViewer | null | undefined): SafeHtml {
  if (!viewer) {
    return html`<a class="header-link" href="/submit">Submit</a><a class="header-link" href="/signin">Sign in</a>`;
  }
  return html`<a class="header-link" href="/submit">Submit</a><a class="header-link" href="/users/${viewer.username}" data-username="${viewer.username}">@${viewer.username}</a><a class="header-link" href="/settings">Settings</a><form method="post" action="/signout" class="signout-form"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit" class="link-button">Sign out</button></form>`;
}

const SITE = 'paperpulse';

function navLink(href: string, label: string, current: boolean): SafeHtml {
  return html`<li><a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

const SHORTCUTS: [SafeHtml, string][] = [
  [html`<kbd>j</kbd>`, 'Next paper'],
  [html`<kbd>k</kbd>`, 'Previous paper'],
  [html`<kbd>o</kbd> or <kbd>Enter</kbd>`, 'Open the current paper'],
  [html`<kbd>/</kbd>`, 'Focus the search box'],
  [html`<kbd>?</kbd>`, 'Show this help'],
  [html`<kbd>t</kbd>`, 'Switch between light and dark theme'],
  [html`<kbd>Esc</kbd>`, 'Close this dialog'],
];

const HELP_DIALOG = html`<dialog id="help-dialog" aria-labelledby="help-title">
<h2 id="help-title">Keyboard shortcuts</h2>
<dl class="shortcuts">${SHORTCUTS.map(([keys, what]) => html`<div><dt>${keys}</dt><dd>${what}</dd></div>`)}</dl>
<form method="dialog"><button type="submit" data-close-dialog>Close</button></form>
</dialog>`;

export function page(opts: PageOptions): string {
  const title = plainTitleText(opts.title);
  const dark = opts.theme === 'dark';
  return html`<!doctype html>
<html lang="en" class="no-js"${opts.theme ? html` data-theme="${opts.theme}"` : ''}${opts.viewer ? html` data-csrf="${opts.viewer.csrf}"` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title ? `${title} · ${SITE}` : SITE}</title>
${opts.description ? html`<meta name="description" content="${plainTitleText(opts.description)}">` : ''}
${opts.noindex ? html`<meta name="robots" content="noindex">` : ''}
<link rel="stylesheet" href="${stylesheetHref()}">
<link rel="icon" href="${FAVICON_PATH}" type="image/svg+xml">
${(opts.feeds ?? []).map((f) => html`<link rel="alternate" type="${FEED_MEDIA_TYPES[f.format]}" title="${plainTitleText(f.title)}" href="${f.href}">\n`)}<script src="${CLIENT_SCRIPT_PATH}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="wrap header-inner">
<a class="brand" href="/">${SITE}</a>
<nav class="site-nav" aria-label="Main"><ul>
${navLink('/papers', 'Daily', opts.section === 'daily')}
${navLink('/papers/trending', 'Trending', opts.section === 'trending')}
</ul></nav>
<form role="search" action="/papers" method="get" class="search-form"><label for="search-input" class="visually-hidden">Search papers</label><input id="search-input" type="search" name="q" value="${opts.query ?? ''}" placeholder="Search papers" maxlength="300" autocomplete="off"><button type="submit">Search</button></form>
<div class="header-tools">
${accountMenu(opts.viewer)}
<button id="theme-toggle" type="button" class="js-only" aria-pressed="${dark ? 'true' : 'false'}">Dark theme</button>
<button id="help-button" type="button" class="js-only" aria-haspopup="dialog">Keyboard shortcuts (?)</button>
</div>
</div>
</header>
<main id="main" tabindex="-1" class="wrap">
${opts.body}
</main>
<footer class="site-footer">
<div class="wrap">
<p>${SITE}, a self-hosted paper feed. Metadata from <a href="https://arxiv.org/">arXiv</a>; thank you to arXiv for use of its open access interoperability.</p>
</div>
</footer>
${HELP_DIALOG}
</body>
</html>
`.value;
}
