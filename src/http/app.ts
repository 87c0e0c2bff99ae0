import express, { type Express, type Router } from 'express';
import type { DependencyCheck } from '../platform/health';
import type { Logger } from '../platform/logger';
import type { Metrics } from '../platform/metrics';
import { cors } from './cors';
import { jsonBody } from './json-body';
import { opsRoutes } from './ops-routes';
import { notFound, problemErrorHandler } from './problem';
import { requestContext } from './request-context';
import { securityHeaders } from './security-headers';

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Dependencies `/readyz` checks. */
  readinessChecks: readonly DependencyCheck[];
  /** Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** Largest JSON body accepted; default 1 MiB. */
  maxBodyBytes?: number;
  /** Browser origins allowed by CORS; default none. */
  corsOrigins?: readonly string[];
  /** The API's routers, mounted after the operational routes. */
  routes?: readonly Router[];
}

/**
 * The HTTP application: request ids and logs, security headers, JSON bodies, the operational
 * routes, the API's routers, and problem+json for everything that goes wrong.
 *
 * ```ts
 * const app = createApp({ logger, metrics: createMetrics(), readinessChecks: [postgresCheck] });
 * app.listen(3000);
 * ```
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // ETags here are revisions set by commands; express's body-hash ETags would look like one
  app.set('etag', false);
  app.use(requestContext(options.logger, options.metrics));
  app.use(securityHeaders);
  app.use(cors(options.corsOrigins ?? []));
  app.use(jsonBody(options.maxBodyBytes ?? 1024 * 1024));
  app.use(
    opsRoutes({ metrics: options.metrics, readinessChecks: options.readinessChecks, readinessTimeoutMs: options.readinessTimeoutMs ?? 2000 }),
  );
  for (const router of options.routes ?? []) app.use(router);
  app.use(notFound);
  app.use(problemErrorHandler);
  return app;
}
