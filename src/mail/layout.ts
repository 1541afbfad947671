// The frame of every HTML email: one centred column, system fonts, inline styles (many clients drop
// <style>), plus a <style> block that only refines: a dark palette for clients that honour
// prefers-color-scheme (Apple Mail, iOS, Outlook.com), while clients that invert colours on their own
// (Gmail apps) get light-on-dark from plain colours that invert well. No images, no remote content.
import { EmailHtml, mailHtml } from './email-html.ts';

export const EMAIL_COLORS = {
  text: '#16181d',
  muted: '#535c69',
  link: '#1a4cc8',
  border: '#d3d8df',
  surface: '#ffffff',
  background: '#f6f7f9',
};

const DARK_CSS = `
:root { color-scheme: light dark; supported-color-schemes: light dark; }
@media (prefers-color-scheme: dark) {
  body, .pp-bg { background: #0e1116 !important; }
  .pp-card { background: #161b22 !important; border-color: #343b46 !important; }
  .pp-text, h1, h2, p, li, td { color: #e6edf3 !important; }
  .pp-muted { color: #a1acb9 !important; }
  a { color: #8cb8ff !important; }
}
@media (max-width: 620px) { .pp-card { padding: 16px !important; } }
`;

export interface EmailFrame {
  title: string;
  /** The line many clients show beside the subject in the inbox list. */
  preheader: string;
  body: EmailHtml;
  footer: EmailHtml;
}

export function emailDocument(frame: EmailFrame): string {
  const c = EMAIL_COLORS;
  return mailHtml`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>${frame.title}</title>
<style>${new EmailHtml(DARK_CSS)}</style>
</head>
<body class="pp-bg" style="margin:0;padding:0;background:${c.background};color:${c.text};font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;font-size:16px;line-height:1.5;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;" aria-hidden="true">${frame.preheader}</div>
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" class="pp-bg" style="background:${c.background};">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" border="0" style="max-width:640px;">
<tr><td class="pp-card" style="background:${c.surface};border:1px solid ${c.border};border-radius:10px;padding:24px 28px;">
${frame.body}
</td></tr>
<tr><td class="pp-muted" style="padding:16px 8px;color:${c.muted};font-size:13px;line-height:1.5;">
${frame.footer}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`.value;
}
