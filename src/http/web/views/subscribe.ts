// The pages of the email digest: the subscribe box (on feed pages) and page, "check your inbox", the
// confirmation step, preferences, unsubscribe, and what to do when a link is broken or too much was asked.
// Forms work without JavaScript. Every state-changing form carries a CSRF token (csrf.ts), except the
// box on cached feed pages (accepted on the browser's same-origin headers, see subscribe.routes.ts).
import type { Subscription } from '../../../subscriptions/subscription.ts';
import { MAX_PAPER_COUNT, PENDING_TTL_DAYS } from '../../../subscriptions/subscription.ts';
import { CSRF_FIELD } from '../csrf.ts';
import { html, type SafeHtml } from '../html.ts';

export interface SubscribeView {
  title: string;
  body: SafeHtml;
}

const csrfInput = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;

const head = (kicker: string, title: string, summary?: SafeHtml | string) => html`<div class="page-head">
<h1><span class="kicker">${kicker}</span> ${title}</h1>
${summary ? html`<p class="page-summary">${summary}</p>` : ''}
</div>`;

/** The small form on every feed page. Cached pages cannot hold a per-visitor token: see the routes. */
export function subscribeBox(): SafeHtml {
  return html`<section class="subscribe-box empty-state" aria-labelledby="subscribe-box-title">
<h2 id="subscribe-box-title">Trending papers in your inbox</h2>
<p>A short email with the most upvoted new papers, daily or weekly. No account needed: confirm your address by email, unsubscribe with one click.</p>
<form method="post" action="/subscribe" class="search-form subscribe-form">
<label for="subscribe-box-email" class="visually-hidden">Email address</label><input id="subscribe-box-email" type="email" name="email" placeholder="you@example.org" maxlength="254" autocomplete="email" required><button type="submit">Subscribe</button>
</form>
</section>`;
}

export function subscribePage(opts: {
  csrf: string;
  email?: string;
  error?: string;
  notice?: string;
  status?: number;
  /** A signed-in member: one click subscribes their address (proven by their sign-in). */
  member?: { email: string; csrf: string };
}): SubscribeView {
  const invalid = Boolean(opts.error);
  const oneClick = opts.member
    ? html`<form method="post" action="/subscribe/member" class="one-click-subscribe">
${csrfInput(opts.member.csrf)}
<p>You are signed in as <strong>${opts.member.email}</strong>.</p>
<button type="submit">Subscribe ${opts.member.email}</button>
</form>
<p class="muted">Or enter another address:</p>`
    : '';
  return {
    title: 'Subscribe to the digest',
    body: html`${head('Email digest', 'Trending papers in your inbox')}
<section class="empty-state" aria-label="Subscribe">
<p>Get the papers with the highest trending score by email: every announcement day, or once a week. No account and no password: you confirm your address once, and every email has a link to change your preferences and a one-click unsubscribe.</p>
${opts.notice ? html`<p role="status"><strong>${opts.notice}</strong></p>` : ''}
${oneClick}
<form method="post" action="/subscribe" class="search-form subscribe-form" novalidate>
${csrfInput(opts.csrf)}
<label for="subscribe-email">Email address</label>
<input id="subscribe-email" type="email" name="email" value="${opts.email ?? ''}" maxlength="254" autocomplete="email" required${invalid ? html` aria-invalid="true" aria-describedby="subscribe-email-error" autofocus` : ''}>
<button type="submit">Subscribe</button>
</form>
${invalid ? html`<p id="subscribe-email-error" class="form-error" role="alert"><strong>${opts.error}</strong></p>` : ''}
</section>`,
  };
}

export function checkInboxPage(email: string): SubscribeView {
  return {
    title: 'Check your inbox',
    body: html`${head('Email digest', 'Check your inbox')}
<section class="empty-state" aria-label="What happens next">
<p role="status">We sent a message to <strong>${email}</strong>. Open the link in it to confirm your subscription (or, if this address is already subscribed, to change its preferences).</p>
<p>Nothing else is sent until you confirm, and an address that is not confirmed within ${PENDING_TTL_DAYS} days is forgotten. No message? Look in your spam folder, or wait a minute and <a href="/subscribe">try again</a>.</p>
</section>`,
  };
}

export function confirmPage(opts: { email: string; csrf: string; action: string }): SubscribeView {
  return {
    title: 'Confirm your subscription',
    body: html`${head('Email digest', 'Confirm your subscription')}
<section class="empty-state" aria-label="Confirm">
<p>Send paperpulse's trending-papers digest to <strong>${opts.email}</strong>?</p>
<form method="post" action="${opts.action}">
${csrfInput(opts.csrf)}
<button type="submit">Confirm subscription</button>
</form>
</section>`,
  };
}

export function confirmedPage(opts: { email: string; manageHref: string; already: boolean }): SubscribeView {
  return {
    title: 'You are subscribed',
    body: html`${head('Email digest', opts.already ? 'Already confirmed' : 'You are subscribed')}
<section class="empty-state" aria-label="Subscribed">
<p role="status"><strong>${opts.email}</strong> ${opts.already ? 'was already confirmed' : 'is confirmed'}. The first digest comes after the next arXiv announcement (Sunday to Thursday, 20:00 US Eastern).</p>
<p><a href="${opts.manageHref}">Choose how often, how many papers and which topics</a></p>
</section>`,
  };
}

const STATUS_TEXT: Record<Subscription['status'], string> = {
  pending: 'Waiting for confirmation',
  confirmed: 'Active',
  paused: 'Paused',
  unsubscribed: 'Unsubscribed',
  bouncing: 'Stopped: mail to this address was refused',
};

const NOTICES: Record<string, string> = {
  subscribed: 'You are subscribed: the digest comes after the next arXiv announcement. Choose how often, how many papers and which topics below.',
  saved: 'Your preferences are saved.',
  paused: 'Digests are paused. Resume them whenever you like.',
  resumed: 'Digests are on again.',
  unsubscribed: 'You are unsubscribed. No more digests will be sent to this address.',
};

export interface PreferencesForm {
  frequency: string;
  count: string;
  categories: string[];
  otherCategories: string;
  keywords: string;
}

export function formFromSubscription(sub: Subscription, offered: readonly string[]): PreferencesForm {
  return {
    frequency: sub.frequency,
    count: String(sub.paperCount),
    categories: sub.categories.filter((c) => offered.includes(c)),
    otherCategories: sub.categories.filter((c) => !offered.includes(c)).join(', '),
    keywords: sub.keywords.join(', '),
  };
}

export function preferencesPage(opts: {
  sub: Subscription;
  action: string;
  csrf: string;
  /** Categories offered as checkboxes (the harvested ones). */
  offered: readonly string[];
  form: PreferencesForm;
  errors?: Partial<Record<'frequency' | 'paperCount' | 'categories' | 'keywords', string>>;
  notice?: string;
}): SubscribeView {
  const { sub, form, errors = {} } = opts;
  const notice = opts.notice ? NOTICES[opts.notice] : undefined;
  const err = (id: string, text: string | undefined) => (text ? html`<p id="${id}-error" class="form-error"><strong>${text}</strong></p>` : '');
  // aria-invalid only on form controls (not on a fieldset, where ARIA does not allow it).
  const described = (id: string, text: string | undefined, help?: string, control = true) => {
    const ids = [help, text ? `${id}-error` : undefined].filter(Boolean).join(' ');
    return html`${ids ? html` aria-describedby="${ids}"` : ''}${text && control ? html` aria-invalid="true"` : ''}`;
  };
  const active = sub.status === 'confirmed' || sub.status === 'paused';
  const errorList = Object.values(errors).filter(Boolean) as string[];
  const summary = html`For <strong>${sub.email}</strong>. Status: ${STATUS_TEXT[sub.status]}.`;
  if (!active) {
    return {
      title: 'Digest preferences',
      body: html`${head('Email digest', 'Your digest', summary)}
<section class="empty-state" aria-label="Subscription">
${notice ? html`<p role="status"><strong>${notice}</strong></p>` : ''}
<p>${sub.status === 'bouncing'
  ? 'Digests stopped because mail servers refused several of them. Subscribe again to confirm that the address works.'
  : sub.status === 'pending'
    ? 'This address has not been confirmed yet: open the link in the confirmation email.'
    : 'No digests are sent to this address.'}</p>
<p><a href="/subscribe?email=${encodeURIComponent(sub.email)}">Subscribe again</a></p>
</section>`,
    };
  }
  const offered = [...opts.offered];
  return {
    title: 'Digest preferences',
    body: html`${head('Email digest', 'Your preferences', summary)}
${notice ? html`<p role="status" class="empty-state"><strong>${notice}</strong></p>` : ''}
${errorList.length ? html`<div role="alert" class="empty-state"><p><strong>Please correct ${errorList.length === 1 ? 'this' : 'these'}:</strong></p><ul>${errorList.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<form method="post" action="${opts.action}" class="prefs-form" novalidate>
${csrfInput(opts.csrf)}
<fieldset${described('frequency', errors.frequency, undefined, false)}>
<legend>How often</legend>
<p><label><input type="radio" name="frequency" value="daily"${form.frequency === 'daily' ? html` checked` : ''}> Daily: after each arXiv announcement (Sunday to Thursday evenings, US Eastern)</label></p>
<p><label><input type="radio" name="frequency" value="weekly"${form.frequency === 'weekly' ? html` checked` : ''}> Weekly: the week's top papers, on Thursday evenings</label></p>
${err('frequency', errors.frequency)}
</fieldset>
<p><label for="pref-count">Papers per digest (1 to ${MAX_PAPER_COUNT})</label>
<input id="pref-count" type="number" name="count" min="1" max="${MAX_PAPER_COUNT}" step="1" value="${form.count}" required${described('pref-count', errors.paperCount)}></p>
${err('pref-count', errors.paperCount)}
<fieldset${described('pref-categories', errors.categories, 'pref-categories-help', false)}>
<legend>Categories</legend>
<p id="pref-categories-help">Papers in at least one of the ticked categories. Tick none for every category.</p>
${offered.map((c) => html`<p><label><input type="checkbox" name="categories" value="${c}"${form.categories.includes(c) ? html` checked` : ''}> ${c}</label></p>`)}
<p><label for="pref-other-categories">Other arXiv categories, separated by commas (e.g. stat.ML, eess.AS)</label>
<input id="pref-other-categories" type="text" name="other_categories" value="${form.otherCategories}" maxlength="500"></p>
${err('pref-categories', errors.categories)}
</fieldset>
<p><label for="pref-keywords">Keywords (optional)</label>
<textarea id="pref-keywords" name="keywords" rows="3" cols="40" maxlength="5000"${described('pref-keywords', errors.keywords, 'pref-keywords-help')}>${form.keywords}</textarea></p>
<p id="pref-keywords-help">With keywords, a paper must mention at least one of them (a word or a phrase, in its title or abstract). Separate them with commas.</p>
${err('pref-keywords', errors.keywords)}
<p><button type="submit" name="action" value="save">Save preferences</button></p>
</form>
<section class="empty-state spaced-section" aria-labelledby="leave-title">
<h2 id="leave-title">Pause or unsubscribe</h2>
<form method="post" action="${opts.action}">
${csrfInput(opts.csrf)}
${sub.status === 'paused'
  ? html`<p><button type="submit" name="action" value="resume">Resume digests</button></p>`
  : html`<p><button type="submit" name="action" value="pause">Pause digests</button> Stops the digests but keeps your preferences.</p>`}
<p><button type="submit" name="action" value="unsubscribe">Unsubscribe</button> No more digests to this address.</p>
</form>
</section>`,
  };
}

export function unsubscribePage(opts: { email: string; action: string }): SubscribeView {
  // The token in the action authorises this POST (as for the one-click POST of mail clients).
  return {
    title: 'Unsubscribe',
    body: html`${head('Email digest', 'Unsubscribe')}
<section class="empty-state" aria-label="Unsubscribe">
<p>Stop sending paperpulse's digest to <strong>${opts.email}</strong>?</p>
<form method="post" action="${opts.action}">
<button type="submit">Unsubscribe</button>
</form>
</section>`,
  };
}

export function unsubscribedPage(opts: { email: string }): SubscribeView {
  return {
    title: 'Unsubscribed',
    body: html`${head('Email digest', 'You are unsubscribed')}
<section class="empty-state" aria-label="Unsubscribed">
<p role="status"><strong>${opts.email}</strong> will get no more digests.</p>
<p>Changed your mind? <a href="/subscribe?email=${encodeURIComponent(opts.email)}">Subscribe again</a>.</p>
</section>`,
  };
}

export function linkProblemPage(reason: 'invalid' | 'expired' | 'gone'): SubscribeView {
  const text = {
    invalid: 'This link is not valid: it may have been cut short or changed. Copy the whole link from the email, or ask for a new one below.',
    expired: 'This link has expired. Enter your address again and we will send you a fresh one.',
    gone: 'This link no longer works: the address it was for is not subscribed any more. You can subscribe again below.',
  }[reason];
  return {
    title: 'This link does not work',
    body: html`${head('Email digest', 'This link does not work')}
<section class="empty-state" aria-label="What happened">
<p>${text}</p>
<p><a href="/subscribe">Go to the subscribe page</a></p>
</section>`,
  };
}

export function tooManyRequestsPage(retryAfterSeconds: number): SubscribeView {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return {
    title: 'Too many requests',
    body: html`${head('Error 429', 'Too many requests')}
<section class="empty-state" aria-label="What happened">
<p role="alert">Too many subscription requests came from here or for this address. To protect mailboxes from unwanted mail, please wait ${minutes === 1 ? 'a minute' : `${minutes} minutes`} and try again.</p>
<p><a href="/papers">Go to the latest papers</a></p>
</section>`,
  };
}

export function formExpiredPage(): SubscribeView {
  return {
    title: 'Please try again',
    body: html`${head('Error 403', 'Please try again')}
<section class="empty-state" aria-label="What happened">
<p role="alert">This form has expired or was sent from another site, so nothing was changed. Go back, reload the page and submit it again.</p>
</section>`,
  };
}
