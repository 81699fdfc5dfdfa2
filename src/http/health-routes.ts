import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface ReadinessProbe {
  /** Resolves when the part answers; rejects or resolves false when it does not. */
  name: string;
  check: () => Promise<boolean>;
}

export interface HealthRoutesOptions {
  registry: Registry;
  probes: ReadinessProbe[];
  /** Upper bound for one readiness check, so /readyz stays cheap even when the store hangs. */
  probeTimeoutMs?: number;
}

/**
 * The operational endpoints, served by Probot's own HTTP server next to the webhooks:
 * `/healthz` (the process answers), `/readyz` (store and workers answer), `/metrics` (Prometheus).
 * Returns a Probot handler: true when it answered the request.
 */
export function createHealthRoutes(options: HealthRoutesOptions) {
  const timeoutMs = options.probeTimeoutMs ?? 2_000;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      return true;
    }
    if (path === '/readyz') {
      const results = await Promise.all(options.probes.map((probe) => runProbe(probe, timeoutMs)));
      const ready = results.every((result) => result.ok);
      send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'not ready', checks: results }));
      return true;
    }
    if (path === '/metrics') {
      const body = await options.registry.metrics();
      send(res, 200, options.registry.contentType, body);
      return true;
    }
    return false;
  };
}

async function runProbe(probe: ReadinessProbe, timeoutMs: number): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const ok = await Promise.race([probe.check(), timeout]);
    return ok ? { name: probe.name, ok: true } : { name: probe.name, ok: false, error: 'not ready' };
  } catch (error) {
    return { name: probe.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
