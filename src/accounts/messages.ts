// The sign-in email. Pure. The page that sends it answers the same whatever the address, so only the
// mailbox's owner learns whether an account exists: the message says "sign in" or "create your account".
import { mailHtml } from '../mail/email-html.ts';
import { emailDocument, EMAIL_COLORS } from '../mail/layout.ts';

export interface SignInMessage {
  subject: string;
  text: string;
  html: string;
}

export function signInMessage(opts: { email: string; link: string; newAccount: boolean; minutes: number; publicUrl: string }): SignInMessage {
  const action = opts.newAccount ? 'create your paperpulse account' : 'sign in to paperpulse';
  const subject = opts.newAccount ? 'Create your paperpulse account' : 'Your paperpulse sign-in link';
  const text = [
    'Hello,',
    '',
    `Someone (hopefully you) asked to ${action} as ${opts.email}.`,
    `Open this link within ${opts.minutes} minutes; it works once:`,
    '',
    opts.link,
    '',
    'If you did not ask for this, ignore this message: nothing happens unless the link is opened and confirmed.',
    '',
    `-- paperpulse, ${opts.publicUrl}`,
    '',
  ].join('\n');
  const html = emailDocument({
    title: subject,
    preheader: `Your link to ${action}. It works once, for ${opts.minutes} minutes.`,
    body: mailHtml`<h1 class="pp-text" style="margin:0 0 12px;font-size:22px;line-height:1.3;color:${EMAIL_COLORS.text};">${opts.newAccount ? 'Create your account' : 'Sign in'}</h1>
<p class="pp-text" style="margin:0 0 8px;">Someone (hopefully you) asked to ${action} as <strong>${opts.email}</strong>.</p>
<p style="margin:20px 0;"><a href="${opts.link}" style="display:inline-block;padding:10px 18px;border-radius:6px;background:#1d4ed8;color:#ffffff;font-weight:600;text-decoration:none;">${opts.newAccount ? 'Create my account' : 'Sign in'}</a></p>
<p class="pp-muted" style="margin:0 0 8px;color:${EMAIL_COLORS.muted};font-size:14px;">The link works once, for ${opts.minutes} minutes: <a href="${opts.link}" style="color:${EMAIL_COLORS.link};word-break:break-all;">${opts.link}</a></p>
<p class="pp-muted" style="margin:0;color:${EMAIL_COLORS.muted};font-size:14px;">If you did not ask for this, ignore this message.</p>`,
    footer: mailHtml`<p style="margin:0;">Sent by paperpulse at <a href="${opts.publicUrl}" style="color:${EMAIL_COLORS.link};">${opts.publicUrl}</a> because this address was entered on its sign-in form.</p>`,
  });
  return { subject, text, html };
}
