import { checkReadiness, describeError } from '../../src/platform/health';
import { createMetrics } from '../../src/platform/metrics';

const up = (name: string) => ({ name, check: async () => undefined });
const down = (name: string, error: unknown) => ({ name, check: () => Promise.reject(error) });

describe('checkReadiness', () => {
  it('is ok when every dependency answers', async () => {
    const readiness = await checkReadiness([up('postgres'), up('redis')], 1000);
    expect(readiness.ok).toBe(true);
    expect(readiness.dependencies).toEqual({
      postgres: { status: 'up', latencyMs: expect.any(Number) },
      redis: { status: 'up', latencyMs: expect.any(Number) },
    });
  });

  it('is ok with no dependencies at all', async () => {
    expect(await checkReadiness([], 1000)).toEqual({ ok: true, dependencies: {} });
  });

  it('names the dependency that failed and why', async () => {
    const readiness = await checkReadiness([up('postgres'), down('redis', new Error('connect ECONNREFUSED 127.0.0.1:6390'))], 1000);
    expect(readiness.ok).toBe(false);
    expect(readiness.dependencies.postgres!.status).toBe('up');
    expect(readiness.dependencies.redis).toEqual({ status: 'down', error: 'connect ECONNREFUSED 127.0.0.1:6390', latencyMs: expect.any(Number) });
  });

  it('bounds each check by the timeout and checks them at once', async () => {
    const started = Date.now();
    const readiness = await checkReadiness(
      [
        { name: 'kafka', check: () => new Promise<void>(() => undefined) },
        { name: 'slow', check: () => new Promise<void>((resolve) => setTimeout(resolve, 40)) },
      ],
      100,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(readiness.dependencies.kafka).toEqual({ status: 'down', error: 'no answer within 100 ms', latencyMs: expect.any(Number) });
    expect(readiness.dependencies.kafka!.latencyMs).toBeGreaterThanOrEqual(95);
    expect(readiness.dependencies.slow!.status).toBe('up');
  });

  it('sets the dependency_up gauge to 1 or 0', async () => {
    const { dependencyUp, registry } = createMetrics();
    await checkReadiness([up('postgres'), down('redis', new Error('down'))], 1000, dependencyUp);
    const text = await registry.metrics();
    expect(text).toContain('dependency_up{dependency="postgres"} 1');
    expect(text).toContain('dependency_up{dependency="redis"} 0');
    await checkReadiness([up('redis')], 1000, dependencyUp);
    expect(await registry.metrics()).toContain('dependency_up{dependency="redis"} 1');
  });
});

describe('describeError', () => {
  it('uses the message of an error, first line only, credentials masked', () => {
    expect(describeError(new Error('cannot reach postgres://app:pw@db/x\n    at somewhere'))).toBe('cannot reach postgres://app:***@db/x');
  });

  it('speaks for an AggregateError through its first cause', () => {
    const error = new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], '');
    expect(describeError(error)).toBe('connect ECONNREFUSED ::1:5432');
  });

  it('falls back to the error code, then to its name', () => {
    expect(describeError(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(describeError(Object.assign(new Error(''), { code: 42 }))).toBe('Error');
  });

  it('describes what is thrown that is not an error', () => {
    expect(describeError('redis://:pw@cache is down')).toBe('redis://:***@cache is down');
  });
});
