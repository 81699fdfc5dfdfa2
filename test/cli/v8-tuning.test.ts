import { describe, expect, it } from 'vitest';
import { PlanJsonScanner, SCANNER_FUNCTIONS } from '../../src/plan/scan-plan-json.js';

describe('the CLI optimisation filter (cli/v8-tuning.ts)', () => {
  it('matches every per-byte method of the plan scanner: they are all named scan*', () => {
    expect(SCANNER_FUNCTIONS).toMatch(/^[A-Za-z]+\*$/);
    const prefix = SCANNER_FUNCTIONS.slice(0, -1);
    const prototype = PlanJsonScanner.prototype as unknown as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(prototype).filter((name) => typeof Object.getOwnPropertyDescriptor(prototype, name)?.value === 'function');
    // Called once per plan or on an error: never hot.
    const once = ['constructor', 'finish', 'fail'];
    expect(methods.filter((name) => !once.includes(name) && !name.startsWith(prefix))).toEqual([]);
    expect(methods).toContain('scan');
  });
});
