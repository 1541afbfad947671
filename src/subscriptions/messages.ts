// The two messages of the subscription itself: "confirm your address" and "here is your preferences
// link" (sent when a confirmed address asks to subscribe again, so the page never says whether an
// address is subscribed). Pure.
import { emailDocument, EMAIL_COLORS } from '../mail/layout.ts';
import { mailHtml } from '../mail/email-html.ts';
import { PENDING_TTL_DAYS } from './subscription.ts';

export interface SimpleMessage {
  subject: string;
  text: string;
  html: string;
}

const button = (href: string, label: string) =>
  mailHtml`<p style="margin:20px 0;"><a href="${href}" style="display:inline-block;padding:10px 18px;border-radius:6px;background:#1d4ed8;color:#ffffff;font-weight:600;text-decoration:none;">${label}</a></p>`;

const foot = (publicUrl: string) =>
  mailHtml`<p style="margin:0;">Sent by paperpulse at <a href="${publicUrl}" style="color:${EMAIL_COLORS.link};">${publicUrl}</a> because this address was entered on its subscribe form.</p>`;

export function confirmationMessage(opts: { email: string; confirmUrl: string; publicUrl: string }): SimpleMessage {
  const subject = 'Confirm your paperpulse digest subscription';
  const text = [
    'Hello,',
    '',
    `Someone (hopefully you) asked to receive paperpulse's trending-papers digest at ${opts.email}.`,
    'To confirm, open this link and press "Confirm":',
    '',
    opts.confirmUrl,
    '',
    `If you did not ask for this, ignore this message: nothing more will be sent, and the address is forgotten after ${PENDING_TTL_DAYS} days.`,
    '',
    `-- paperpulse, ${opts.publicUrl}`,
    '',
  ].join('\n');
  const html = emailDocument({
    title: subject,
    preheader: 'One click to start receiving trending papers.',
    body: mailHtml`<h1 class="pp-text" style="margin:0 0 12px;font-size:22px;line-height:1.3;color:${EMAIL_COLORS.text};">Confirm your subscription</h1>
<p class="pp-text" style="margin:0 0 8px;">Someone (hopefully you) asked to receive paperpulse's trending-papers digest at <strong>${opts.email}</strong>.</p>
${button(opts.confirmUrl, 'Confirm my subscription')}
<p class="pp-muted" style="margin:0 0 8px;color:${EMAIL_COLORS.muted};font-size:14px;">Or open this link: <a href="${opts.confirmUrl}" style="color:${EMAIL_COLORS.link};word-break:break-all;">${opts.confirmUrl}</a></p>
<p class="pp-muted" style="margin:0;color:${EMAIL_COLORS.muted};font-size:14px;">If you did not ask for this, ignore this message: nothing more will be sent, and the address is forgotten after ${PENDING_TTL_DAYS} days.</p>`,
    footer: foot(opts.publicUrl),
  });
  return { subject, text, html };
}

export function manageLinkMessage(opts: { email: string; manageUrl: string; unsubscribeUrl: string; publicUrl: string }): SimpleMessage {
  const subject = 'Your paperpulse digest preferences';
  const text = [
    'Hello,',
    '',
    `${opts.email} is already subscribed to paperpulse's trending-papers digest.`,
    'To change how often it comes, how many papers it holds and which topics, or to pause it:',
    '',
    opts.manageUrl,
    '',
    'To unsubscribe:',
    '',
    opts.unsubscribeUrl,
    '',
    `-- paperpulse, ${opts.publicUrl}`,
    '',
  ].join('\n');
  const html = emailDocument({
    title: subject,
    preheader: 'Change or pause your digest.',
    body: mailHtml`<h1 class="pp-text" style="margin:0 0 12px;font-size:22px;line-height:1.3;color:${EMAIL_COLORS.text};">You are already subscribed</h1>
<p class="pp-text" style="margin:0 0 8px;"><strong>${opts.email}</strong> already receives paperpulse's trending-papers digest. You can change how often it comes, how many papers it holds and which topics, or pause it.</p>
${button(opts.manageUrl, 'Change my preferences')}
<p class="pp-muted" style="margin:0;color:${EMAIL_COLORS.muted};font-size:14px;"><a href="${opts.unsubscribeUrl}" style="color:${EMAIL_COLORS.link};">Unsubscribe</a></p>`,
    footer: foot(opts.publicUrl),
  });
  return { subject, text, html };
}
