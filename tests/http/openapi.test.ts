import { Validator } from '@seriousme/openapi-schema-validator';
import type { Router } from 'express';
import { startTestApi, type TestApi } from '../support/api';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every method and path express would answer, from the router's own stack. */
function expressRoutes(router: Router): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return found;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await api.http.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // the validator can fail: a document without info is refused
    expect((await new Validator().validate({ openapi: '3.1.0', paths: {} })).valid).toBe(false);
  });

  it('documents every API route, and nothing that does not exist', async () => {
    const document = (await api.http.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    const routes = expressRoutes(api.assembly.router).filter((r) => !r.endsWith(' /openapi.json'));
    expect(routes.length).toBeGreaterThan(5);
    expect(documented.sort()).toEqual([...new Set(routes)].sort());
  });

  it('documents problem responses and security on protected routes', async () => {
    const document = (await api.http.get('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>> };
    const create = document.paths['/v1/workspaces']!.post!;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '401', '422', '429']));
    expect(create.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/v1/auth/login']!.post!.security).toEqual([]);
  });

  it('serves the docs UI', async () => {
    const res = await api.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/swagger-ui/i);
  });
});
