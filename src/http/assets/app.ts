// The progressive-enhancement script of the web pages. The pages work without it; it adds the theme
// toggle, keyboard navigation, the help dialog and copy buttons. Plain DOM, no framework: the server
// bundles it with esbuild at start (src/http/web/client-bundle.ts) and the feed page's total
// JavaScript must stay under 50 KB minified.
//
// It relies on the pages' markup contract (ids and classes below). Each feature is one init function
// that does nothing when its elements are absent, so every page can load the same file. Later
// features (upvote buttons, search-as-you-type) belong in functions of their own, added to init().
//
// It runs under a Content-Security-Policy without 'unsafe-inline': no inline handlers, no eval; styles
// are set through the CSSOM (el.style), which such a policy allows.

import './comments.ts'; // comment controls on paper pages
import './votes.ts'; // the upvote buttons, sent without a reload

import './suggest.ts'; // search-as-you-type titles under the header search box

const THEME_KEY = 'paperpulse-theme';
type Theme = 'light' | 'dark';

const root = document.documentElement;

// ---------------------------------------------------------------------------------------------
// Theme. The stored choice overrides prefers-color-scheme through <html data-theme>. This runs as
// soon as the script is evaluated, before the DOM features, to keep the flash of the wrong theme as
// short as a deferred script allows. A cookie of the same name carries the choice too, so the server
// can render data-theme itself and avoid the flash entirely.

function storedTheme(): Theme | null {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null; // storage disabled (privacy mode, sandboxed frame)
  }
}

const darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

function effectiveTheme(): Theme {
  const set = root.getAttribute('data-theme');
  if (set === 'light' || set === 'dark') return set;
  return darkQuery?.matches ? 'dark' : 'light';
}

function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme) root.setAttribute('data-theme', theme);
}

function saveTheme(theme: Theme): void {
  root.setAttribute('data-theme', theme);
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // not persisted; the page still switches
  }
  document.cookie = `${THEME_KEY}=${theme}; Path=/; Max-Age=31536000; SameSite=Lax`;
}

function toggleTheme(announce: Announce): void {
  const next: Theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
  saveTheme(next);
  syncThemeButton();
  announce(`${next === 'dark' ? 'Dark' : 'Light'} theme`);
}

/** The button is a toggle for "dark theme": pressed while the dark theme shows. Its name stays put. */
function syncThemeButton(): void {
  const button = document.getElementById('theme-toggle');
  if (!button) return;
  button.setAttribute('aria-pressed', String(effectiveTheme() === 'dark'));
  button.textContent = 'Dark theme';
}

function initThemeToggle(announce: Announce): void {
  syncThemeButton();
  document.getElementById('theme-toggle')?.addEventListener('click', () => toggleTheme(announce));
  // Following the system: keep the button's state true when the system switches.
  darkQuery?.addEventListener?.('change', syncThemeButton);
}

// ---------------------------------------------------------------------------------------------
// Announcements to screen readers through one polite live region.

type Announce = (message: string) => void;

function createAnnouncer(): Announce {
  const region = document.createElement('div');
  region.id = 'live-announcer';
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  region.setAttribute('aria-atomic', 'true');
  // Visually hidden, still read. Position absolute: adding it never moves the page.
  Object.assign(region.style, {
    position: 'absolute',
    width: '1px',
    height: '1px',
    margin: '-1px',
    padding: '0',
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
    border: '0',
  });
  document.body.appendChild(region);
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (message) => {
    // Clearing first makes a repeated message ("Paper 20 of 20" twice) be read again.
    region.textContent = '';
    clearTimeout(timer);
    timer = setTimeout(() => (region.textContent = message), 50);
  };
}

// ---------------------------------------------------------------------------------------------
// Keyboard shortcuts.

function cards(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>('.paper-card'));
}

function titleLink(card: Element): HTMLAnchorElement | null {
  return card.querySelector<HTMLAnchorElement>('.paper-title a');
}

function cardTitle(card: Element): string {
  return (titleLink(card)?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

interface CardNav {
  move(delta: 1 | -1): void;
  open(): boolean;
}

function createCardNav(announce: Announce): CardNav {
  let current: HTMLElement | null = null;

  function setCurrent(card: HTMLElement): void {
    if (current && current !== card) current.classList.remove('is-current');
    card.classList.add('is-current');
    current = card;
  }

  // Tabbing or clicking into a card makes it the current one, so j/k continue from there.
  document.addEventListener('focusin', (e) => {
    const card = (e.target as Element | null)?.closest?.<HTMLElement>('.paper-card');
    if (card) setCurrent(card);
  });

  return {
    move(delta) {
      const list = cards();
      if (list.length === 0) return;
      const at = current ? list.indexOf(current) : -1;
      // From nothing, either key starts at the first paper; at the ends the position holds (no wrap).
      const index = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + delta));
      const card = list[index];
      setCurrent(card);
      const link = titleLink(card);
      link?.focus({ preventScroll: true });
      card.scrollIntoView({ block: 'nearest' });
      const edge = at === index ? (delta > 0 ? ' (last paper)' : ' (first paper)') : '';
      announce(`Paper ${index + 1} of ${list.length}: ${cardTitle(card)}${edge}`);
    },
    open() {
      const link = current && document.contains(current) ? titleLink(current) : null;
      if (!link) return false;
      link.click();
      return true;
    },
  };
}

function openHelp(): void {
  const dialog = document.getElementById('help-dialog');
  if (dialog instanceof HTMLDialogElement && !dialog.open) {
    const returnTo = document.activeElement;
    dialog.showModal();
    // Chromium returns focus on close by itself; other engines do not always.
    dialog.addEventListener(
      'close',
      () => {
        if (returnTo instanceof HTMLElement && document.contains(returnTo)) returnTo.focus({ preventScroll: true });
      },
      { once: true },
    );
  }
}

function initHelpDialog(): void {
  document.getElementById('help-button')?.addEventListener('click', openHelp);
  const dialog = document.getElementById('help-dialog');
  // A click on the backdrop (the dialog element itself, outside its content box) closes it.
  dialog?.addEventListener('click', (e) => {
    if (!(dialog instanceof HTMLDialogElement) || e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    if (!inside) dialog.close();
  });
  dialog?.querySelectorAll('[data-close-dialog]').forEach((b) =>
    b.addEventListener('click', () => (dialog as HTMLDialogElement).close()),
  );
}

function initKeyboard(announce: Announce): void {
  const nav = createCardNav(announce);
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (isTyping(e.target)) return;
    // While a modal dialog is open, the page behind it takes no shortcuts (Esc is the dialog's own).
    if (document.querySelector('dialog[open]')) return;
    const active = document.activeElement;
    switch (e.key) {
      case 'j':
        nav.move(1);
        break;
      case 'k':
        nav.move(-1);
        break;
      case 'o':
        if (!nav.open()) return;
        break;
      case 'Enter':
        // On a link or button Enter already does its own thing; only take it when nothing is focused.
        if (active && active !== document.body && active.id !== 'main') return;
        if (!nav.open()) return;
        break;
      case '/': {
        const input = document.getElementById('search-input');
        if (!(input instanceof HTMLInputElement)) return;
        input.focus();
        input.select();
        break;
      }
      case '?':
        if (!document.getElementById('help-dialog')) return;
        openHelp();
        break;
      case 't':
        if (!document.getElementById('theme-toggle')) return;
        toggleTheme(announce);
        break;
      default:
        return;
    }
    e.preventDefault();
  });
}

// ---------------------------------------------------------------------------------------------
// Copy buttons: <button data-copy-target="ID"> copies the text of #ID (the BibTeX entry).

function selectText(el: Element): void {
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
}

function initCopyButtons(announce: Announce): void {
  document.querySelectorAll<HTMLButtonElement>('button[data-copy-target]').forEach((button) => {
    const label = button.textContent;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const report = (message: string) => {
      button.textContent = message;
      announce(message);
      clearTimeout(timer);
      timer = setTimeout(() => (button.textContent = label), 2500);
    };
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.dataset.copyTarget ?? '');
      if (!target) return;
      const text = target.textContent ?? '';
      try {
        if (!navigator.clipboard) throw new Error('no clipboard API');
        await navigator.clipboard.writeText(text);
        report('Copied');
      } catch {
        // No clipboard access (insecure origin, permission refused): select the text for the user.
        selectText(target);
        report('Selected: press Ctrl+C to copy');
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------

function init(): void {
  const announce = createAnnouncer();
  initThemeToggle(announce);
  initHelpDialog();
  initKeyboard(announce);
  initCopyButtons(announce);
}

// Before anything paints that can: the class swap (so .js-only controls show) and the stored theme.
root.classList.replace('no-js', 'js') || root.classList.add('js');
applyStoredTheme();

// Deferred, the DOM is parsed by now; loaded without defer (e.g. in <head> to set the theme even
// earlier), wait for it.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init, { once: true });
else init();
