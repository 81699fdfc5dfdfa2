import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { keepConnectionsAlive } from '../../src/http/keep-alive.js';

describe('keepConnectionsAlive', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve(configure?: (server: http.Server) => void) {
    const server = http.createServer((_req, res) => res.end('ok'));
    configure?.(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(() => agent.destroy(), () => new Promise<void>((resolve) => server.close(() => resolve())));
    const get = () =>
      new Promise<{ reusedSocket: boolean; keepAlive: string | undefined }>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ reusedSocket: request.reusedSocket, keepAlive: res.headers['keep-alive'] as string | undefined }));
        });
        request.on('error', reject);
      });
    return { server, get };
  }

  it('raises the keep-alive (and headers) timeout of a server from its first request on, announced in Keep-Alive', async () => {
    const tuned: http.Server[] = [];
    cleanups.push(keepConnectionsAlive(65_000, (server) => tuned.push(server)));
    const { server, get } = await serve();

    // The first response's header was written with the old value (Node reads it when the response is made);
    // its connection already idles for the new one (Node reads that when the response ends: next test).
    await get();
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(66_000);
    const second = await get();
    expect(second).toEqual({ reusedSocket: true, keepAlive: 'timeout=65' });
    expect(tuned).toEqual([server]);
  });

  it('leaves a server whose keep-alive was set on purpose as it is', async () => {
    const tuned: http.Server[] = [];
    cleanups.push(keepConnectionsAlive(65_000, (server) => tuned.push(server)));
    const { server, get } = await serve((created) => (created.keepAliveTimeout = 3_000));

    expect((await get()).keepAlive).toBe('timeout=3');
    expect(server.keepAliveTimeout).toBe(3_000);
    expect(tuned).toEqual([]);
  });

  it('stops tuning new servers once unsubscribed', async () => {
    keepConnectionsAlive(65_000)();
    const { get } = await serve();
    expect((await get()).keepAlive).toBe('timeout=5');
  });

  it("keeps a connection that was idle longer than Node's 5 s open, so the next request reuses it instead of racing the close", async () => {
    cleanups.push(keepConnectionsAlive(30_000));
    const { get } = await serve();
    expect((await get()).reusedSocket).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect((await get()).reusedSocket).toBe(true);
  }, 15_000);
});
