/**
 * The `approvals` section of .github/infra-review.yml. The config module composes this schema;
 * evaluation takes its parsed output.
 */
import { z } from 'zod';

const approverOwner = z
  .string()
  .regex(/^@[A-Za-z0-9][A-Za-z0-9_-]{0,38}(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, 'must be "@user" or "@org/team"');

export const defaultApprovalSchema = z
  .strictObject({
    /** Distinct approvals needed when the repository has no policy file. */
    count: z.number().int().min(1).default(1),
    /** `write`: any collaborator with write access (or more) other than the author; or a list of `@user` / `@org/team`. */
    from: z.union([z.literal('write'), z.array(approverOwner).min(1)]).default('write'),
  })
  .describe('The requirement applied when the repository has no INFRAOWNERS (or CODEOWNERS, with use_codeowners) file.');

export const approvalsConfigSchema = z.strictObject({
  /** Accept approvals given on earlier commits of the PR (GitHub's "dismiss stale approvals" turned off). */
  carry_over: z.boolean().default(false),
  /** Without an INFRAOWNERS file, take the path rules from CODEOWNERS. */
  use_codeowners: z.boolean().default(false),
  default: defaultApprovalSchema.prefault({}),
});

export type ApprovalsConfig = z.output<typeof approvalsConfigSchema>;
export type ApprovalsConfigInput = z.input<typeof approvalsConfigSchema>;

/** The defaults, for callers without a config file. */
export const DEFAULT_APPROVALS_CONFIG: ApprovalsConfig = approvalsConfigSchema.parse({});
