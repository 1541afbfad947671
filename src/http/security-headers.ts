// Security headers on every response. The Content-Security-Policy allows scripts, styles, fonts and
// connections only from the site itself (no inline scripts or styles, no eval), forbids framing, plugins
// and foreign form targets. HSTS is sent only when the public URL is https (a plain-http deployment that
// sent it would lock browsers out of itself once put behind TLS incorrectly).
import type { FastifyInstance } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  const https = new URL(publicUrl).protocol === 'https:';
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    if (!reply.hasHeader('Referrer-Policy')) reply.header('Referrer-Policy', 'strict-origin-when-cross-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (https) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    // Responses that depend on who is signed in are never stored by shared caches.
    if (req.viewer && !reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'private, no-cache');
    return payload;
  });
}
