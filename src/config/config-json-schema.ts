import * as z from 'zod';
import { infraReviewConfigSchema } from './config-schema.js';

/**
 * The JSON Schema editors use to complete and check `.github/infra-review.yml`.
 * It describes what a user writes (input side): keys with defaults are optional.
 */
export function buildConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(infraReviewConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The exact text of schema/infra-review.schema.json. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(buildConfigJsonSchema(), null, 2)}\n`;
}
