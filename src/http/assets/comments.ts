// Comment controls on paper pages, a small enhancement: opening "Reply", "Hide" or "Delete" (plain
// <details>, which work without JavaScript) moves the focus to what comes next, its text box or its
// confirm button, so typing starts at once; Escape in an open one closes it and returns to its summary.

function initCommentControls(): void {
  document.querySelectorAll<HTMLDetailsElement>('.comment-actions details').forEach((details) => {
    details.addEventListener('toggle', () => {
      if (!details.open) return;
      details.querySelector<HTMLElement>('textarea, input:not([type="hidden"]), button[type="submit"]')?.focus();
    });
    details.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !details.open) return;
      details.open = false;
      details.querySelector<HTMLElement>('summary')?.focus();
      e.preventDefault();
    });
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', initCommentControls, { once: true });
else initCommentControls();
