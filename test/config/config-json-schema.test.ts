import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildConfigJsonSchema, renderConfigJsonSchema } from '../../src/config/config-json-schema.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('schema/infra-review.schema.json', () => {
  it('is the file `npm run schema` generates from the zod schema (run it after changing the schema)', () => {
    const committed = readFileSync(path.join(REPO_ROOT, 'schema/infra-review.schema.json'), 'utf8');
    expect(committed).toBe(renderConfigJsonSchema());
  });

  it('is strict and names every top-level key, so editors complete and flag typos', () => {
    const schema = buildConfigJsonSchema() as { additionalProperties: unknown; properties: Record<string, { default?: unknown }>; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['$schema', 'version', 'projects', 'autodetect', 'workflows', 'apply', 'rollback', 'risk', 'approvals', 'comments', 'forks', 'drafts', 'timeouts'].sort(),
    );
    // A user writes nothing required at the top level: no config at all is valid.
    expect(schema.required ?? []).toEqual([]);
  });

  it('describes what users write: durations as text, with their defaults', () => {
    const schema = buildConfigJsonSchema() as { properties: { timeouts: { properties: Record<string, { type: string; default: unknown }> } } };
    expect(schema.properties.timeouts.properties.plan).toMatchObject({ type: 'string', default: '30m' });
  });
});
