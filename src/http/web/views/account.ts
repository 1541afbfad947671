// The account pages: sign in / sign up, "check your inbox", the sign-in link's confirmation (and the
// account form for a new address), settings (profile, password, API tokens, sessions, private feed) and
// the public profile. Every form works without JavaScript and carries a CSRF token.
import type { ApiToken, Member } from '../../../accounts/accounts.service.ts';
import { LINK_TTL_MINUTES } from '../../../accounts/accounts.service.ts';
import { PASSWORD_MIN_LENGTH } from '../../../accounts/passwords.ts';
import { CSRF_FIELD } from '../csrf.ts';
import { html, type SafeHtml } from '../html.ts';

export interface AccountView {
  title: string;
  body: SafeHtml;
}

export const csrfInput = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;

const head = (kicker: string, title: string, summary?: SafeHtml | string) => html`<div class="page-head">
<h1><span class="kicker">${kicker}</span> ${title}</h1>
${summary ? html`<p class="page-summary">${summary}</p>` : ''}
</div>`;

const fieldError = (id: string, text: string | undefined) =>
  text ? html`<p id="${id}-error" class="form-error" role="alert"><strong>${text}</strong></p>` : '';

const invalidAttrs = (id: string, text: string | undefined) =>
  text ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';

export function signInPage(opts: {
  csrf: string;
  next: string;
  mode: 'signin' | 'signup';
  email?: string;
  error?: string;
  passwordError?: string;
  notice?: string;
}): AccountView {
  const signup = opts.mode === 'signup';
  const action = signup ? '/signup' : '/signin';
  return {
    title: signup ? 'Create an account' : 'Sign in',
    body: html`${head('Account', signup ? 'Create an account' : 'Sign in')}
<section class="empty-state account-form" aria-label="${signup ? 'Create an account' : 'Sign in'}">
<p>${signup
      ? 'Enter your email address: we send you a link to choose your username. No password needed.'
      : html`Enter your email address and we send you a sign-in link (valid ${LINK_TTL_MINUTES} minutes, works once). New here? The same link creates your account.`}</p>
${opts.notice ? html`<p role="status"><strong>${opts.notice}</strong></p>` : ''}
<form method="post" action="${action}" class="stack-form" novalidate>
${csrfInput(opts.csrf)}
<input type="hidden" name="next" value="${opts.next}">
<label for="signin-email">Email address</label>
<input id="signin-email" type="email" name="email" value="${opts.email ?? ''}" maxlength="254" autocomplete="email" required${invalidAttrs('signin-email', opts.error)}${opts.error ? html` autofocus` : ''}>
${fieldError('signin-email', opts.error)}
${signup ? '' : html`<details class="password-option"${opts.passwordError ? html` open` : ''}>
<summary>Sign in with a password instead</summary>
<label for="signin-password">Password <span class="muted">(if you set one in your settings)</span></label>
<input id="signin-password" type="password" name="password" maxlength="200" autocomplete="current-password"${invalidAttrs('signin-password', opts.passwordError)}>
${fieldError('signin-password', opts.passwordError)}
</details>`}
<button type="submit">${signup ? 'Email me a link' : 'Sign in'}</button>
</form>
<p class="muted">${signup ? html`Have an account? <a href="/signin">Sign in</a>.` : html`No account yet? <a href="/signup">Create one</a> with the same form.`}</p>
</section>`,
  };
}

export function linkSentPage(email: string): AccountView {
  return {
    title: 'Check your inbox',
    body: html`${head('Account', 'Check your inbox')}
<section class="empty-state" aria-label="What happens next">
<p role="status">If <strong>${email}</strong> can receive mail, a sign-in link is on its way. Open it within ${LINK_TTL_MINUTES} minutes; it works once.</p>
<p>No message? Look in your spam folder, or wait a minute and <a href="/signin">ask for another link</a>.</p>
</section>`,
  };
}

export function confirmSignInPage(opts: { email: string; csrf: string; action: string }): AccountView {
  return {
    title: 'Sign in',
    body: html`${head('Account', 'Sign in')}
<section class="empty-state" aria-label="Sign in">
<p>Sign in to paperpulse as <strong>${opts.email}</strong>?</p>
<form method="post" action="${opts.action}">
${csrfInput(opts.csrf)}
<button type="submit">Sign in</button>
</form>
</section>`,
  };
}

export function createAccountPage(opts: {
  email: string;
  csrf: string;
  action: string;
  username?: string;
  displayName?: string;
  errors?: { username?: string; displayName?: string };
}): AccountView {
  const e = opts.errors ?? {};
  return {
    title: 'Create your account',
    body: html`${head('Account', 'Create your account')}
<section class="empty-state account-form" aria-label="Create your account">
<p>Choose how you appear on paperpulse. Your email address (<strong>${opts.email}</strong>) is never shown.</p>
<form method="post" action="${opts.action}" class="stack-form" novalidate>
${csrfInput(opts.csrf)}
<label for="signup-username">Username <span class="muted">(2-40 characters: a-z, 0-9, “_”, “-”; it is in your profile's address)</span></label>
<input id="signup-username" name="username" value="${opts.username ?? ''}" maxlength="40" autocomplete="username" required pattern="[a-z0-9_\\-]{2,40}"${invalidAttrs('signup-username', e.username)}${e.username ? html` autofocus` : ''}>
${fieldError('signup-username', e.username)}
<label for="signup-display">Display name <span class="muted">(optional)</span></label>
<input id="signup-display" name="display_name" value="${opts.displayName ?? ''}" maxlength="100" autocomplete="name"${invalidAttrs('signup-display', e.displayName)}>
${fieldError('signup-display', e.displayName)}
<button type="submit">Create account</button>
</form>
</section>`,
  };
}

const LINK_PROBLEMS = {
  invalid: 'This sign-in link is not valid. Links must be copied whole from the email.',
  expired: `This sign-in link has expired (links work for ${LINK_TTL_MINUTES} minutes).`,
  used: 'This sign-in link was already used. Each link works once.',
} as const;

export function signInLinkProblemPage(reason: keyof typeof LINK_PROBLEMS): AccountView {
  return {
    title: 'Sign-in link not valid',
    body: html`${head('Account', 'This link does not work')}
<section class="empty-state" aria-label="What happened">
<p>${LINK_PROBLEMS[reason]}</p>
<p><a href="/signin">Ask for a new sign-in link</a></p>
</section>`,
  };
}

export function signInRequiredPage(next: string, message = 'Sign in to do this.'): AccountView {
  return {
    title: 'Sign in required',
    body: html`${head('Account', 'Sign in required')}
<section class="empty-state" aria-label="Sign in required">
<p>${message}</p>
<p><a href="/signin?next=${encodeURIComponent(next)}">Sign in or create an account</a></p>
</section>`,
  };
}

export function forbiddenPage(message: string): AccountView {
  return {
    title: 'Not allowed',
    body: html`${head('Error 403', 'Not allowed')}
<section class="empty-state" aria-label="What happened">
<p>${message}</p>
<p><a href="/papers">Go to the latest papers</a></p>
</section>`,
  };
}

export function tooManyPage(retryAfterSeconds: number, what = 'requests'): AccountView {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  return {
    title: 'Too many requests',
    body: html`${head('Error 429', 'Slow down a little')}
<section class="empty-state" aria-label="What happened">
<p role="alert">There were too many ${what} from you in a short time. Please try again in ${minutes <= 1 ? 'a minute' : `${minutes} minutes`}.</p>
<p><a href="/papers">Go to the latest papers</a></p>
</section>`,
  };
}

const dateText = (d: Date) => d.toISOString().slice(0, 10);

export interface SettingsData {
  member: Member;
  csrf: string;
  tokens: ApiToken[];
  sessions: number;
  feedUrl: string | null;
  /** A token just created: shown this once. */
  newToken?: { name: string; secret: string };
  notice?: string;
  errors?: { displayName?: string; bio?: string; password?: string; tokenName?: string };
  form?: { displayName?: string; bio?: string };
}

export function settingsPage(d: SettingsData): AccountView {
  const m = d.member;
  const e = d.errors ?? {};
  return {
    title: 'Settings',
    body: html`${head('Account', 'Settings', html`Signed in as <a href="/users/${m.username}">@${m.username}</a>${m.email ? html` (${m.email})` : ''}${m.role !== 'user' ? html` · ${m.role}` : ''}.`)}
${d.notice ? html`<p role="status" class="empty-state"><strong>${d.notice}</strong></p>` : ''}
<section class="empty-state spaced-section" aria-labelledby="profile-title">
<h2 id="profile-title">Profile</h2>
<form method="post" action="/settings/profile" class="stack-form" novalidate>
${csrfInput(d.csrf)}
<label for="settings-display">Display name</label>
<input id="settings-display" name="display_name" value="${d.form?.displayName ?? m.displayName ?? ''}" maxlength="100" autocomplete="name"${invalidAttrs('settings-display', e.displayName)}>
${fieldError('settings-display', e.displayName)}
<label for="settings-bio">About you <span class="muted">(optional, up to 500 characters, shown on your profile)</span></label>
<textarea id="settings-bio" name="bio" rows="3" maxlength="500"${invalidAttrs('settings-bio', e.bio)}>${d.form?.bio ?? m.bio ?? ''}</textarea>
${fieldError('settings-bio', e.bio)}
<label class="check"><input type="checkbox" name="upvotes_public" value="1"${m.upvotesPublic ? html` checked` : ''}> Show the papers I upvote on my profile</label>
<button type="submit">Save profile</button>
</form>
</section>
<section class="empty-state spaced-section" aria-labelledby="password-title">
<h2 id="password-title">Password</h2>
<p>${m.hasPassword ? 'You can sign in with your password or with an email link.' : 'You sign in with email links. A password is optional.'}</p>
<form method="post" action="/settings/password" class="stack-form" novalidate>
${csrfInput(d.csrf)}
<label for="settings-password">${m.hasPassword ? 'New password' : 'Password'} <span class="muted">(at least ${PASSWORD_MIN_LENGTH} characters)</span></label>
<input id="settings-password" type="password" name="password" maxlength="200" autocomplete="new-password"${invalidAttrs('settings-password', e.password)}>
${fieldError('settings-password', e.password)}
<button type="submit">${m.hasPassword ? 'Change password' : 'Set password'}</button>
</form>
${m.hasPassword ? html`<form method="post" action="/settings/password" class="inline-form">${csrfInput(d.csrf)}<input type="hidden" name="remove" value="1"><button type="submit" class="secondary">Remove password</button></form>` : ''}
</section>
<section class="empty-state spaced-section" aria-labelledby="tokens-title">
<h2 id="tokens-title">API tokens</h2>
<p>For scripts using the JSON API: send <code>Authorization: Bearer &lt;token&gt;</code>. See <a href="/api/docs">the API documentation</a>.</p>
${d.newToken ? html`<div class="new-token" role="status"><p><strong>New token “${d.newToken.name}”</strong>: copy it now, it is not shown again.</p><p><code class="token-secret">${d.newToken.secret}</code></p></div>` : ''}
${d.tokens.length
      ? html`<table class="tokens"><caption class="visually-hidden">Your API tokens</caption><thead><tr><th scope="col">Name</th><th scope="col">Starts with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Revoke</span></th></tr></thead><tbody>
${d.tokens.map((t) => html`<tr><td>${t.name}</td><td><code>${t.prefix}…</code></td><td>${dateText(t.createdAt)}</td><td>${t.lastUsedAt ? dateText(t.lastUsedAt) : 'never'}</td><td><form method="post" action="/settings/tokens/${t.id}/revoke" class="inline-form">${csrfInput(d.csrf)}<button type="submit" class="secondary" aria-label="Revoke token ${t.name}">Revoke</button></form></td></tr>`)}
</tbody></table>`
      : html`<p class="muted">No tokens.</p>`}
<form method="post" action="/settings/tokens" class="stack-form" novalidate>
${csrfInput(d.csrf)}
<label for="settings-token-name">Token name</label>
<input id="settings-token-name" name="name" maxlength="100" placeholder="e.g. my reading script"${invalidAttrs('settings-token-name', e.tokenName)}>
${fieldError('settings-token-name', e.tokenName)}
<button type="submit">Create token</button>
</form>
</section>
<section class="empty-state spaced-section" aria-labelledby="feed-title">
<h2 id="feed-title">Your upvotes as a feed</h2>
${d.feedUrl
      ? html`<p>A private RSS feed of the papers you upvoted. Anyone with the address can read it: <code class="token-secret">${d.feedUrl}</code></p>`
      : html`<p>Make a private RSS address for the papers you upvote (anyone with the address can read it).</p>`}
<form method="post" action="/settings/feed-token" class="inline-form">${csrfInput(d.csrf)}<button type="submit" class="secondary">${d.feedUrl ? 'Make a new address (the old one stops working)' : 'Make the feed address'}</button></form>
</section>
<section class="empty-state spaced-section" aria-labelledby="sessions-title">
<h2 id="sessions-title">Where you are signed in</h2>
<p>${d.sessions === 1 ? 'You are signed in on this browser only.' : `You are signed in on ${d.sessions} browsers or devices.`}</p>
<form method="post" action="/settings/signout-everywhere" class="inline-form">${csrfInput(d.csrf)}<button type="submit" class="secondary">Sign out everywhere</button></form>
</section>`,
  };
}

export interface ProfileData {
  member: Member;
  /** Sanitised HTML of comments is stored sanitised (src/comments); shown as is. */
  comments: { id: number; paperId: string; paperTitle: string; bodyHtml: SafeHtml; createdAt: Date }[];
  submitted: SafeHtml;
  upvoted: SafeHtml | null;
  upvoteCount: number;
  isSelf: boolean;
}

export function profilePage(d: ProfileData): AccountView {
  const m = d.member;
  const name = m.displayName ?? m.username;
  return {
    title: `${name} (@${m.username})`,
    body: html`${head('Member', name, html`@${m.username} · joined ${dateText(m.createdAt)}${m.role !== 'user' ? html` · ${m.role}` : ''}${d.isSelf ? html` · <a href="/settings">Edit your profile</a>` : ''}`)}
${m.bio ? html`<p class="profile-bio" dir="auto">${m.bio}</p>` : ''}
<section class="spaced-section" aria-labelledby="submitted-title">
<h2 id="submitted-title">Submitted papers</h2>
${d.submitted}
</section>
<section class="spaced-section" aria-labelledby="upvoted-title">
<h2 id="upvoted-title">Upvoted papers</h2>
${d.upvoted ?? html`<p class="muted">${name} keeps their upvotes private.</p>`}
</section>
<section class="spaced-section" aria-labelledby="user-comments-title">
<h2 id="user-comments-title">Comments</h2>
${d.comments.length
      ? html`<ol class="profile-comments">${d.comments.map((c) => html`<li><p class="muted">On <a href="/papers/${c.paperId}#comment-${c.id}">${c.paperTitle}</a>, ${dateText(c.createdAt)}</p><div class="comment-body">${c.bodyHtml}</div></li>`)}</ol>`
      : html`<p class="muted">No comments yet.</p>`}
</section>`,
  };
}
