import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { readSettings } from '../../src/runtime/read-settings.js';
import { Runtime, StoreUnavailableError } from '../../src/runtime/start-runtime.js';
import { generateAppKey } from '../e2e/harness/start-app.js';

/** A webhook that arrives while the store is still opening waits for it (briefly) instead of failing. */
describe('Runtime.queueForDelivery', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const runtimeWith = (env: Record<string, string>) => {
    const probot = new Probot({ appId: 1, privateKey: generateAppKey().privateKey, logLevel: 'fatal' });
    const runtime = new Runtime(probot, readSettings({ IAC_BINARY: 'terraform', ...env }), createMetrics({ defaultMetrics: false }), pino({ level: 'silent' }), 60_000);
    cleanups.push(() => runtime.stop());
    return runtime;
  };

  it('hands over the queue once a store that is still opening is open', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ir-queue-for-delivery-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const runtime = runtimeWith({ DATA_DIR: dataDir, DATABASE_URL: '' });
    runtime.start();
    // Opening the store takes a thread start and the migrations: not open yet right after start().
    expect(() => runtime.queue).toThrow(StoreUnavailableError);

    const queue = await runtime.queueForDelivery();

    expect(queue).toBe(runtime.queue);
    expect(queue.isStarted).toBe(true);
  });

  it('fails with the store\'s error once the wait is over, when the store cannot be reached', async () => {
    const runtime = runtimeWith({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    runtime.start();
    const started = Date.now();

    const error = await runtime.queueForDelivery(300).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/^the store is not (available: .*ECONNREFUSED 127\.0\.0\.1:1|connected yet)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
