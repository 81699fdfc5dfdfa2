/**
 * The `risk` section of `.github/infra-review.yml`: the threshold for "many changes" and the user's
 * own rules, evaluated after the built-in ones. The config module composes this schema.
 */
import { z } from 'zod';
import { RISK_LEVELS } from './analysis.js';
import { DEFAULT_MANY_CHANGES_THRESHOLD } from './risk-catalog.js';

export { DEFAULT_MANY_CHANGES_THRESHOLD };

export const RISK_RULE_ACTIONS = ['create', 'update', 'delete', 'replace', 'read', 'forget', 'import', 'move'] as const;
export type RiskRuleAction = (typeof RISK_RULE_ACTIONS)[number];

const attributeConditionSchema = z
  .object({
    /** Dot path into the resource's values, e.g. `ingress.0.cidr_blocks` or `tags.Environment`. */
    path: z.string().min(1),
    equals: z.unknown().optional(),
    in: z.array(z.unknown()).optional(),
    /** A regular expression the value (a string, or a number/bool as text) must match. */
    matches: z
      .string()
      .refine(
        (pattern) => {
          try {
            new RegExp(pattern);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid regular expression' },
      )
      .optional(),
  })
  .strict();

export const riskRuleSchema = z
  .object({
    /** Resource type glob (picomatch), e.g. `aws_db_*`. */
    type: z.string().min(1),
    actions: z.array(z.enum(RISK_RULE_ACTIONS)).min(1).optional(),
    attribute: attributeConditionSchema.optional(),
    level: z.enum(RISK_LEVELS),
    reason: z.string().min(1),
  })
  .strict();

export const riskConfigSchema = z
  .object({
    many_changes_threshold: z.number().int().positive().default(DEFAULT_MANY_CHANGES_THRESHOLD),
    rules: z.array(riskRuleSchema).default([]),
  })
  .strict();

export type RiskRule = z.infer<typeof riskRuleSchema>;
export type RiskAttributeCondition = z.infer<typeof attributeConditionSchema>;
/** The parsed `risk` section (defaults applied). */
export type RiskConfig = z.infer<typeof riskConfigSchema>;
/** What a user may write (before defaults). */
export type RiskConfigInput = z.input<typeof riskConfigSchema>;
