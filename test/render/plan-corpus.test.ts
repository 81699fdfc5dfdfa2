import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePlan, secretOf } from '../../bench/generate-plan.js';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { parsePlanJson } from '../../src/plan/plan-model.js';
import type { PlanCommentInput } from '../../src/render/plan-comment-input.js';
import { COMMENT_MAX_LENGTH, PLAN_COMMENT_MARKER, planCommentPartMarker, renderPlanCheckSummary, renderPlanComment } from '../../src/render/render-plan-comment.js';
import { FIXTURE_PLANS_DIR, listFixturePlans } from '../plan/fixture-plans.js';
import { fenceBalance } from './analysis-builder.js';

const PLANS = FIXTURE_PLANS_DIR;


/** Every string (and number) under the parts of `value` that `mask` marks sensitive. */
function sensitiveStrings(value: unknown, mask: unknown, out: Set<string>, marked = false): void {
  if (marked || mask === true) {
    if (typeof value === 'string' || typeof value === 'number') out.add(String(value));
    else if (Array.isArray(value)) for (const item of value) sensitiveStrings(item, true, out, true);
    else if (value && typeof value === 'object') for (const item of Object.values(value)) sensitiveStrings(item, true, out, true);
    return;
  }
  if (!mask || typeof mask !== 'object' || !value || typeof value !== 'object') return;
  for (const [key, sub] of Object.entries(mask as Record<string, unknown>)) {
    sensitiveStrings((value as Record<string, unknown>)[key], sub, out);
  }
}

interface RawChangeLike {
  before?: unknown;
  after?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
}

function secretsOf(plan: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const changes = [
    ...((plan.resource_changes as { change: RawChangeLike }[] | undefined) ?? []).map((r) => r.change),
    ...((plan.resource_drift as { change: RawChangeLike }[] | undefined) ?? []).map((r) => r.change),
    ...Object.values((plan.output_changes as Record<string, RawChangeLike> | undefined) ?? {}),
  ];
  for (const change of changes) {
    sensitiveStrings(change.before, change.before_sensitive, found);
    sensitiveStrings(change.after, change.after_sensitive, found);
  }
  // Short values ("true", "80") also occur legitimately elsewhere in a comment.
  return [...found].filter((value) => value.length >= 4);
}

function commentOf(file: string, bytes: Buffer | string): PlanCommentInput {
  const analysis = analyzePlan(parsePlanJson(bytes, file));
  return { headSha: '0123456789abcdef0123456789abcdef01234567', projects: [{ name: path.basename(file, '.json'), dir: '.', workspace: 'default', status: 'planned', analysis }] };
}

describe.skipIf(!existsSync(PLANS))('rendering every real plan in the shared fixtures', () => {
  const files = listFixturePlans();

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(50);
    // the leak check below is not vacuous: the corpus has sensitive values to look for
    const secrets = files.flatMap((file) => {
      try {
        return secretsOf(JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>);
      } catch {
        return [];
      }
    });
    expect(secrets.length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [path.relative(PLANS, file), file]))('%s renders within limits and shows no sensitive value', (_name, file) => {
    const bytes = readFileSync(file as string);
    const input = commentOf(file as string, bytes);
    const bodies = renderPlanComment(input);
    const check = renderPlanCheckSummary(input);
    expect(bodies[0]?.split('\n')[0]).toBe(PLAN_COMMENT_MARKER);
    const secrets = secretsOf(JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>);
    for (const body of [...bodies, check.summary, check.text]) {
      expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_LENGTH);
      expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
      for (const secret of secrets) expect(body, `sensitive value ${JSON.stringify(secret.slice(0, 3))}… shown`).not.toContain(secret);
    }
  });
});

describe('rendering a generated plan far larger than a comment', () => {
  const plan = generatePlan(3000);
  const input = commentOf('huge.json', JSON.stringify(plan));
  const bodies = renderPlanComment(input, { maxBodies: 50 });
  const [single] = renderPlanComment(input, { maxLength: 100_000_000, maxBodies: 1 });

  it('keeps the whole summary in body 1', () => {
    expect(bodies.length).toBeGreaterThan(3);
    const first = bodies[0] as string;
    const summaryEnd = (single as string).indexOf('#### Project');
    expect(summaryEnd).toBeGreaterThan(0);
    expect(first.slice(0, summaryEnd)).toBe((single as string).slice(0, summaryEnd));
    expect(first).toContain('| <code>huge</code> |');
  });

  it('makes every continuation body well-formed and marked', () => {
    bodies.forEach((body, i) => {
      expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_LENGTH);
      expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
      if (i > 0) {
        expect(body.split('\n')[0]).toBe(planCommentPartMarker(i + 1));
        expect(body).toContain(`(part ${i + 1} of ${bodies.length})`);
      }
    });
  });

  it('shows no sensitive value in any body', () => {
    const all = bodies.join('\n');
    for (const i of [0, 1, 7, 100, 2999, -1, -2]) expect(all).not.toContain(secretOf(i));
    expect(all).toContain('(sensitive value)');
  });
});
