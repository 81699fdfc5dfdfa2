import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';

function queuedLines(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('infra_review_jobs_queued{'));
}

describe('infra_review_jobs_queued', () => {
  it('reads the queued counts from its source at every scrape', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let counts: Record<string, number> = { plan: 3, apply: 1 };
    let reads = 0;
    metrics.setJobsQueuedSource(async () => {
      reads++;
      return counts;
    });

    expect(queuedLines(await metrics.registry.metrics()).sort()).toEqual(['infra_review_jobs_queued{kind="apply"} 1', 'infra_review_jobs_queued{kind="plan"} 3']);
    counts = { plan: 5 };
    // A kind with nothing queued any more reads 0, not its last value.
    expect(queuedLines(await metrics.registry.metrics()).sort()).toEqual(['infra_review_jobs_queued{kind="apply"} 0', 'infra_review_jobs_queued{kind="plan"} 5']);
    expect(reads).toBe(2);
  });

  it('keeps the last values and still answers the scrape when the source fails', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let fail = false;
    metrics.setJobsQueuedSource(async () => {
      if (fail) throw new Error('connect ECONNREFUSED');
      return { plan: 2 };
    });
    await metrics.registry.metrics();
    fail = true;
    const text = await metrics.registry.metrics();
    expect(queuedLines(text)).toEqual(['infra_review_jobs_queued{kind="plan"} 2']);
    expect(text).toContain('infra_review_webhook_deliveries_total');
  });

  it('stays empty without a source (the store not open yet)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(queuedLines(await metrics.registry.metrics())).toEqual([]);
    metrics.setJobsQueuedSource(async () => ({ plan: 1 }));
    metrics.setJobsQueuedSource(undefined);
    expect(queuedLines(await metrics.registry.metrics())).toEqual([]);
  });
});
