// The headers every HTTP answer carries (helmet), and the Content-Security-Policy of pages that do
// not set their own: Swagger UI at /api/docs, and the JSON answers of the API.
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Same-origin everything. Swagger UI needs inline styles (its page has a <style> block and React
 * writes style attributes) and data: images; its scripts are files Salvo serves. Pages with a
 * stricter policy (the dashboard) or other needs (Bull Board) set their own over this one.
 */
export const DEFAULT_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  // helmet's default upgrade-insecure-requests is left out: it would break a plain-HTTP
  // deployment on a private network, and behind TLS HSTS already keeps browsers on HTTPS.
};

export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: DEFAULT_POLICY },
  // Browsers honour HSTS only over HTTPS, so it costs nothing on plain HTTP and protects behind TLS.
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

/** helmet on every answer Express gives, errors included; no `X-Powered-By: Express`. */
export function applySecurityHeaders(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  app.use(helmet(HELMET_OPTIONS));
}
