import { describe, expect, it } from 'vitest';
import { PlanInputError, parsePlanJson } from '../../src/plan/plan-model.js';

const MINIMAL = JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: ['create'], after: {} } }] });

function catchError(fn: () => unknown): PlanInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlanInputError) return error;
    throw error;
  }
  throw new Error('expected a PlanInputError');
}

describe('parsePlanJson', () => {
  it('parses a plan from a string and from a Buffer', () => {
    expect(parsePlanJson(MINIMAL).resource_changes?.[0]?.address).toBe('a.b');
    expect(parsePlanJson(Buffer.from(MINIMAL)).format_version).toBe('1.2');
  });

  it('decodes UTF-8 with a BOM, UTF-16 LE and UTF-16 BE with BOMs', () => {
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(MINIMAL, 'utf8')]);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MINIMAL, 'utf16le')]);
    const be = Buffer.from(le);
    be.swap16(); // turns the LE BOM into FE FF as well
    for (const bytes of [utf8, le, be]) expect(parsePlanJson(bytes, 'p.json').resource_changes?.[0]?.address).toBe('a.b');
    // the caller's buffer is not modified by BE decoding
    expect(be[0]).toBe(0xfe);
  });

  it('reports invalid JSON with file, line and column, without quoting the input', () => {
    const text = '{\n  "format_version": "1.2",\n  "password": hunter2secret\n}';
    const error = catchError(() => parsePlanJson(text, 'plans/bad.json'));
    expect(error.file).toBe('plans/bad.json');
    expect(error.line).toBe(3);
    expect(error.column).toBe(15);
    expect(error.message).toMatch(/not valid JSON at line 3, column 15/);
    expect(error.message).not.toContain('hunter2');
    expect(String(error)).toBe(`plans/bad.json:3:15: ${error.message}`);
  });

  it('says a cut-off file is truncated', () => {
    const error = catchError(() => parsePlanJson(MINIMAL.slice(0, 60), 'cut.json'));
    expect(error.message).toMatch(/truncated/);
    expect(error.line).toBe(1);
    expect(error.column).toBe(61);
  });

  it.each([
    ['an empty file', '', /empty/],
    ['a list', '[1,2]', /top level is a list/],
    ['an object without format_version', '{"resource_changes": []}', /no "format_version"/],
    ['a state file', '{"format_version": "1.0", "values": {}}', /state file/],
    ['unrelated JSON', '{"format_version": "1.0", "name": "x"}', /none of/],
    ['a change without actions', JSON.stringify({ format_version: '1.0', resource_changes: [{ address: 'x.y', change: {} }] }), /resource_changes\[0\] \(x\.y\) has no "change.actions"/],
    ['resource_changes that is not a list', '{"format_version": "1.0", "resource_changes": {}}', /"resource_changes" is an object, not a list/],
    ['an output without actions', '{"format_version": "1.0", "output_changes": {"o": {}}}', /output_changes\["o"\]/],
  ])('rejects %s as not a plan', (_what, text, pattern) => {
    const error = catchError(() => parsePlanJson(text, 'x.json'));
    expect(error.message).toMatch(pattern);
    expect(error.file).toBe('x.json');
  });

  it('tolerates fields and actions it does not know', () => {
    const text = JSON.stringify({
      format_version: '1.9',
      future_field: { x: 1 },
      resource_changes: [{ address: 'a.b', change: { actions: ['teleport'], new_thing: true } }],
    });
    const parsed = parsePlanJson(text);
    expect(parsed.future_field).toEqual({ x: 1 });
    expect(parsed.resource_changes?.[0]?.change.actions).toEqual(['teleport']);
  });
});
