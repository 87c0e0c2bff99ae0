import { Router } from 'express';
import { checkReadiness, type DependencyCheck } from '../platform/health';
import type { Metrics } from '../platform/metrics';
import { sendProblem } from './problem';

export interface OpsRoutesOptions {
  metrics: Metrics;
  readinessChecks: readonly DependencyCheck[];
  /** Longest one dependency may take to answer `/readyz`. */
  readinessTimeoutMs: number;
}

/**
 * `GET /healthz` (the process answers), `GET /readyz` (every dependency answers; 503 naming
 * those that do not) and `GET /metrics` (Prometheus text). None is cached.
 */
export function opsRoutes({ metrics, readinessChecks, readinessTimeoutMs }: OpsRoutesOptions): Router {
  const router = Router();
  router.use(['/healthz', '/readyz', '/metrics'], (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    const { ok, dependencies } = await checkReadiness(readinessChecks, readinessTimeoutMs, metrics.dependencyUp);
    if (ok) {
      res.json({ status: 'ready', dependencies });
      return;
    }
    const down = Object.entries(dependencies)
      .filter(([, d]) => d.status === 'down')
      .map(([name, d]) => `${name} is down (${d.error})`);
    req.log.warn({ dependencies }, 'not ready');
    sendProblem(res, 503, `Not ready: ${down.join('; ')}`, { dependencies });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
