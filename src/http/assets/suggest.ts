// Search-as-you-type for the header search box (#search-input): paper titles from GET /api/v1/suggest
// (src/http/web/suggest.routes.ts) in a listbox under the box, as an ARIA 1.2 combobox: the input keeps the
// focus, aria-activedescendant names the highlighted option; Down/Up move (Alt+Down opens), Enter opens the
// highlighted paper (with none highlighted the form submits as usual), Escape closes, a click opens.
// Without JavaScript, or while suggestions are closed, the plain search form works as before. Text goes in
// through textContent only; no inline styles or handlers (the CSP forbids them).

interface Suggestion {
  id: string;
  title: string;
}

const MIN_CHARS = 2;
const DEBOUNCE_MS = 150;

function initSuggest(): void {
  const el = document.getElementById('search-input');
  const form = el?.closest('form');
  if (!(el instanceof HTMLInputElement) || !form) return;
  const input: HTMLInputElement = el;

  const list = document.createElement('ul');
  list.id = 'search-suggestions';
  list.className = 'suggest-list';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Suggested papers');
  list.hidden = true;
  const status = document.createElement('div');
  status.className = 'visually-hidden';
  status.setAttribute('role', 'status');
  form.classList.add('suggest-host');
  form.append(list, status);

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);

  let items: Suggestion[] = [];
  let active = -1;
  let shownFor = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;
  const cache = new Map<string, Suggestion[]>();

  const options = () => list.querySelectorAll<HTMLElement>('[role="option"]');

  function setActive(i: number): void {
    active = i;
    options().forEach((o, k) => o.setAttribute('aria-selected', String(k === i)));
    const el = options()[i];
    if (el) {
      input.setAttribute('aria-activedescendant', el.id);
      el.scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  }

  function close(): void {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  }

  function open(): void {
    if (!items.length) return;
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }

  function render(typed: string, found: Suggestion[]): void {
    items = found;
    shownFor = typed;
    list.replaceChildren(
      ...found.map((s, k) => {
        const li = document.createElement('li');
        li.id = `search-suggestion-${k}`;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.dataset.index = String(k);
        li.textContent = s.title;
        return li;
      }),
    );
    active = -1;
    input.removeAttribute('aria-activedescendant');
    if (found.length && document.activeElement === input) open();
    else close();
    status.textContent = found.length ? `${found.length} suggestion${found.length === 1 ? '' : 's'}: up and down arrows to choose` : '';
  }

  function go(i: number): void {
    const s = items[i];
    if (!s) return;
    close();
    location.assign(`/papers/${s.id.split('/').map(encodeURIComponent).join('/')}`);
  }

  async function fetchFor(typed: string): Promise<void> {
    const key = typed.trim().toLowerCase();
    const known = cache.get(key);
    if (known) return render(typed, known);
    inflight?.abort();
    const ctl = new AbortController();
    inflight = ctl;
    try {
      const res = await fetch(`/api/v1/suggest?q=${encodeURIComponent(typed.trim())}`, { signal: ctl.signal, headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const body = (await res.json()) as { suggestions?: Suggestion[] };
      const found = (body.suggestions ?? []).filter((s) => typeof s.id === 'string' && typeof s.title === 'string');
      if (cache.size > 50) cache.clear();
      cache.set(key, found);
      // A later keystroke may have changed the text meanwhile: only show what still matches it.
      if (input.value === typed) render(typed, found);
    } catch {
      // Aborted by a newer keystroke, or offline: the plain form still works.
    } finally {
      if (inflight === ctl) inflight = null;
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const typed = input.value;
    if (typed.trim().length < MIN_CHARS) {
      inflight?.abort();
      render(typed, []);
      return;
    }
    timer = setTimeout(() => void fetchFor(typed), DEBOUNCE_MS);
  });

  input.addEventListener('keydown', (e) => {
    if (e.isComposing || e.ctrlKey || e.metaKey) return;
    const expanded = !list.hidden;
    switch (e.key) {
      case 'ArrowDown':
        if (!items.length || shownFor !== input.value) return;
        if (!expanded) open();
        if (!e.altKey) setActive(active + 1 >= items.length ? 0 : active + 1);
        break;
      case 'ArrowUp':
        if (!expanded || !items.length) return;
        setActive(active <= 0 ? items.length - 1 : active - 1);
        break;
      case 'Enter':
        if (!expanded || active < 0) return; // the form submits the search
        go(active);
        break;
      case 'Escape':
        if (!expanded) return;
        close();
        break;
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  });

  input.addEventListener('blur', () => close());
  input.addEventListener('focus', () => {
    if (items.length && shownFor === input.value) open();
  });
  // Pressing an option must not take the focus from the box (the blur would close the list first).
  list.addEventListener('mousedown', (e) => e.preventDefault());
  list.addEventListener('click', (e) => {
    const option = (e.target as Element | null)?.closest<HTMLElement>('[role="option"]');
    if (option) go(Number(option.dataset.index));
  });
  list.addEventListener('mousemove', (e) => {
    const option = (e.target as Element | null)?.closest<HTMLElement>('[role="option"]');
    if (option && Number(option.dataset.index) !== active) setActive(Number(option.dataset.index));
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initSuggest, { once: true });
else initSuggest();
