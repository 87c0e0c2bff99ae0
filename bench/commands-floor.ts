/**
 * The HTTP floor of `npm run bench -- commands`, run as a child process: the service's own
 * middleware stack (`createApp`: request context and metrics, security headers, CORS, JSON
 * bodies, problem+json) with a POST route on the create-post path that answers 201 at once, no
 * authentication and no database. What any route of this stack costs before it does its work.
 * PORT from the environment.
 */
import express from 'express';
import { createApp } from '../src/http/app';
import { createLogger } from '../src/platform/logger';
import { createMetrics } from '../src/platform/metrics';
import { serverFor } from '../src/http/server';

const router = express.Router();
router.post('/v1/workspaces/:workspaceId/posts', (req, res) => {
  res.status(201).json({ id: req.params.workspaceId, received: req.body as unknown });
});
const app = createApp({ logger: createLogger('silent'), metrics: createMetrics(), readinessChecks: [], routes: [router] });
// served as the service serves it (src/http/server.ts)
serverFor(app).listen(Number(process.env.PORT), '127.0.0.1');
