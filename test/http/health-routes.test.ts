import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthRoutes, type ReadinessProbe } from '../../src/http/health-routes.js';
import { createMetrics } from '../../src/observability/metrics.js';

let server: Server | undefined;

async function serve(probes: ReadinessProbe[], probeTimeoutMs = 200) {
  const metrics = createMetrics({ defaultMetrics: false });
  const handler = createHealthRoutes({ registry: metrics.registry, probes, probeTimeoutMs });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end('not ours');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, metrics };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('health routes', () => {
  it('answers /healthz without consulting the probes', async () => {
    let called = false;
    const { base } = await serve([{ name: 'store', check: async () => ((called = true), false) }]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(called).toBe(false);
  });

  it('reports ready only when every probe answers', async () => {
    const { base } = await serve([
      { name: 'store', check: async () => true },
      { name: 'workers', check: async () => true },
    ]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('ready');
  });

  it('turns /readyz to 503 with the reason when the store fails or hangs', async () => {
    const { base } = await serve([
      { name: 'store', check: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
      { name: 'workers', check: () => new Promise<boolean>(() => undefined) },
    ]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: unknown };
    expect(body.checks).toEqual([
      { name: 'store', ok: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' },
      { name: 'workers', ok: false, error: 'no answer within 200 ms' },
    ]);
  });

  it('exposes the named series on /metrics in Prometheus text format', async () => {
    const { base, metrics } = await serve([]);
    metrics.webhookDeliveries.inc({ event: 'pull_request', outcome: 'accepted' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('infra_review_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1');
    expect(text).toContain('# TYPE infra_review_plans_total counter');
  });

  it('leaves other paths to the next handler', async () => {
    const { base } = await serve([]);
    const res = await fetch(`${base}/api/github/webhooks`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('not ours');
  });
});
