import type { RequestHandler } from 'express';

/** Nothing is loaded, framed or submitted: the API serves JSON only. The docs UI sets its own. */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers that keep browsers from sniffing, framing or leaking what the API returns. */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (req.path !== '/docs' && !req.path.startsWith('/docs/')) {
    res.setHeader('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
  }
  next();
};
