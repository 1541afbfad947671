// Upvote buttons without a page reload. The button is a form (src/http/web/views/components.ts
// upvoteButton) that works on its own; this sends it with fetch instead, asking for JSON, with the session's
// CSRF token from <html data-csrf> in the X-CSRF-Token header, and updates every button of the paper on the
// page: aria-pressed, the count, the form's action (upvote <-> unvote), and a polite announcement.
// Anonymous visitors (401) go to sign in and come back to this card. Errors are announced and leave the
// button as it was. One listener on the document, so it needs no initialisation and works on any page.

interface VoteAnswer {
  paperId: string;
  voted: boolean;
  upvotes: number;
}

interface ErrorAnswer {
  error?: { code?: string; message?: string };
}

/** Says something through the page's polite live region (app.ts makes it; one is made here if not). */
function say(message: string): void {
  let region = document.getElementById('live-announcer');
  if (!region) {
    region = document.createElement('div');
    region.id = 'live-announcer';
    region.className = 'visually-hidden';
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    region.setAttribute('aria-atomic', 'true');
    document.body.appendChild(region);
  }
  const r = region;
  // Cleared first, so the same message twice is read twice.
  r.textContent = '';
  setTimeout(() => (r.textContent = message), 50);
}

const plural = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'upvote' : 'upvotes'}`;

/** Shows a paper's vote state on every one of its buttons on the page. */
function show(answer: VoteAnswer): void {
  document.querySelectorAll<HTMLButtonElement>('button.upvote-button').forEach((button) => {
    if (button.dataset.paperId !== answer.paperId) return;
    button.setAttribute('aria-pressed', answer.voted ? 'true' : 'false');
    button.title = answer.voted ? 'Remove upvote' : 'Upvote';
    const count = button.querySelector('.upvote-count');
    if (count) {
      count.textContent = String(answer.upvotes);
      const unit = count.nextElementSibling;
      if (unit) unit.textContent = ` ${answer.upvotes === 1 ? 'upvote' : 'upvotes'}`;
    }
    const form = button.form;
    if (form) form.setAttribute('action', form.getAttribute('action')!.replace(/\/(upvote|unvote)$/, answer.voted ? '/unvote' : '/upvote'));
  });
}

/** Where an anonymous visitor signs in: back to this page, at this card. */
function signInUrl(paperId: string): string {
  const here = `${location.pathname}${location.search}#paper-${paperId}`;
  return `/signin?next=${encodeURIComponent(here)}`;
}

async function send(form: HTMLFormElement, button: HTMLButtonElement): Promise<void> {
  const paperId = button.dataset.paperId ?? '';
  const headers: Record<string, string> = { Accept: 'application/json' };
  const csrf = document.documentElement.dataset.csrf;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(form.getAttribute('action')!, { method: 'POST', headers, credentials: 'same-origin' });
  } catch {
    say('The vote was not sent: the connection failed. Try again.');
    return;
  }
  if (res.status === 401) {
    location.assign(signInUrl(paperId));
    return;
  }
  const body = (await res.json().catch(() => null)) as (VoteAnswer & ErrorAnswer) | null;
  if (!res.ok || !body || typeof body.upvotes !== 'number') {
    say(body?.error?.message ?? 'The vote did not go through. Reload the page and try again.');
    return;
  }
  show(body);
  say(body.voted ? `Upvoted. ${plural(body.upvotes)}.` : `Upvote removed. ${plural(body.upvotes)}.`);
}

document.addEventListener('submit', (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains('vote-form') || typeof fetch !== 'function') return;
  const button = form.querySelector<HTMLButtonElement>('button.upvote-button');
  if (!button) return;
  e.preventDefault();
  // One request at a time per button: a double click sends one vote, not a vote and its undo.
  if (button.getAttribute('aria-busy') === 'true') return;
  button.setAttribute('aria-busy', 'true');
  void send(form, button).finally(() => button.removeAttribute('aria-busy'));
});
