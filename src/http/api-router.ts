import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ZodType } from 'zod';
import type { Principal } from '../auth/principal';
import type { ApiDeps } from './api-deps';
import { unauthenticated } from './api-errors';
import { authenticate } from './authenticate';
import { idempotencyMiddleware } from './idempotency';
import { problemSchema, z } from './openapi';
import './principal';
import { parse } from './validation';
import { minPositionOf } from '../queries/read-your-writes';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<Body extends ZodType, Query extends ZodType> {
  method: Method;
  /** OpenAPI style: `/v1/workspaces/{workspaceId}/posts`. Path parameters are UUIDs unless listed in `textParams`. */
  path: string;
  summary: string;
  tag: string;
  /** `none`: anyone; `user`: a signed-in user; `any`: a user or an API key. */
  auth: 'none' | 'user' | 'any';
  /** Which limiter counts the route (default `api`). */
  rateLimit?: 'credentials' | 'webhook' | 'api';
  body?: Body;
  query?: Query;
  textParams?: readonly string[];
  /**
   * GET routes: the projections whose tables the route reads (`[]` when it reads only the log
   * or the identity tables). A GET with `X-Min-Position` waits until they have passed it.
   */
  reads?: readonly string[];
  /** Documented responses besides the problem responses. */
  responses: Record<number, { description: string; schema?: ZodType; headers?: ResponseConfig['headers'] }>;
  /** Extra middleware before validation (e.g. a larger body limit or a raw-body capture). */
  before?: RequestHandler[];
  handler: (ctx: RouteContext<z.output<Body>, z.output<Query>>) => Promise<void>;
}

export interface RouteContext<Body, Query> {
  req: Request;
  res: Response;
  body: Body;
  query: Query;
  /** Set for `auth: user|any`. */
  principal: Principal;
}

const PROBLEM_STATUSES: Record<number, string> = {
  400: 'Malformed JSON',
  401: 'No or bad credentials',
  403: 'Not allowed',
  404: 'Unknown, or not visible to the caller',
  409: 'State conflict',
  412: 'If-Match did not match',
  413: 'Body too large',
  415: 'Body is not JSON',
  422: 'Validation failed (errors[] names each field)',
  429: 'Rate limited',
};

/**
 * Declares API routes once: each is mounted on an express router with its rate limit,
 * authentication, `Idempotency-Key` handling and validation, and documented in the OpenAPI
 * registry from the same zod schemas, so an undocumented route cannot exist.
 *
 * ```ts
 * api.route({ method: 'post', path: '/v1/workspaces', auth: 'user', body, responses: { 201: … }, handler });
 * ```
 */
export class ApiRouter {
  readonly router: Router = express.Router();

  constructor(
    private readonly deps: ApiDeps,
    private readonly registry: OpenAPIRegistry,
  ) {}

  route<Body extends ZodType = ZodType<Record<string, never>>, Query extends ZodType = ZodType<Record<string, never>>>(spec: RouteSpec<Body, Query>): void {
    const expressPath = spec.path.replace(/\{(\w+)\}/g, ':$1');
    const paramNames = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    if (spec.method === 'get' && spec.reads === undefined) throw new Error(`GET ${spec.path} must declare the projections it reads (reads: [...])`);
    this.document(spec, paramNames);
    const limiter = this.deps.rateLimits[spec.rateLimit ?? 'api'];
    const chain: RequestHandler[] = [];
    if (spec.rateLimit && spec.rateLimit !== 'api') chain.push(limiter);
    chain.push(async (req, _res, next) => {
      req.principal = await authenticate(this.deps, req);
      if (spec.auth !== 'none' && !req.principal) throw unauthenticated();
      if (spec.auth === 'user' && req.principal?.kind !== 'user') throw unauthenticated('This route needs a signed-in user, not an API key.');
      next();
    });
    if (!spec.rateLimit || spec.rateLimit === 'api') chain.push(limiter);
    chain.push(...(spec.before ?? []));
    if (spec.method === 'get') chain.push(this.readYourWrites(spec.reads ?? []));
    if (spec.method === 'post') chain.push(idempotencyMiddleware(this.deps.idempotency));
    chain.push(async (req, res) => {
      const body = spec.body ? parse(spec.body, req.body ?? {}, 'body') : undefined;
      const query = spec.query ? parse(spec.query, req.query, 'query') : undefined;
      await spec.handler({ req, res, body: body as z.output<Body>, query: query as z.output<Query>, principal: req.principal! });
    });
    this.router[spec.method](expressPath, ...chain);
  }

  /** `X-Min-Position`: wait (bounded) until the projections the route reads have passed it. */
  private readYourWrites(reads: readonly string[]): RequestHandler {
    return async (req, _res, next) => {
      const position = minPositionOf(req.get('x-min-position'));
      if (position !== undefined) await this.deps.readYourWrites.waitFor(reads, position);
      next();
    };
  }

  private document(spec: RouteSpec<ZodType, ZodType>, paramNames: string[]): void {
    const text = new Set(spec.textParams ?? []);
    const responses: Record<number, ResponseConfig> = {};
    for (const [status, response] of Object.entries(spec.responses)) {
      responses[Number(status)] = {
        description: response.description,
        ...(response.headers ? { headers: response.headers } : {}),
        ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
      };
    }
    const problems = spec.method === 'get' ? { ...PROBLEM_STATUSES, 503: 'The read models did not catch up to X-Min-Position in time (Retry-After)' } : PROBLEM_STATUSES;
    for (const [status, description] of Object.entries(problems)) {
      responses[Number(status)] ??= { description, content: { 'application/problem+json': { schema: problemSchema } } };
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      tags: [spec.tag],
      security: spec.auth === 'none' ? [] : spec.auth === 'user' ? [{ bearer: [] }] : [{ bearer: [] }, { apiKey: [] }],
      request: {
        ...(paramNames.length > 0 ? { params: z.object(Object.fromEntries(paramNames.map((n) => [n, text.has(n) ? z.string() : z.uuid()]))) } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
        ...(spec.method === 'post' ? { headers: z.object({ 'Idempotency-Key': z.string().max(255).optional() }) } : {}),
        ...(spec.method === 'get'
          ? { headers: z.object({ 'X-Min-Position': z.string().regex(/^\d{1,19}$/).optional().openapi({ description: "A command's X-Event-Position: answer once the read models have caught up to it (bounded wait, then 503 with Retry-After)" }) }) }
          : {}),
      },
      responses,
    });
  }
}
