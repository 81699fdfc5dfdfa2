import type { PlanCommentInput, RenderLimits } from './plan-comment-input.js';
import { buildPlanView, planTitle } from './plan-view.js';
import { splitBodies } from './split-bodies.js';
import { renderTemplate } from './template-environment.js';

/** Finds the sticky plan comment; always the first line of body 1. */
export const PLAN_COMMENT_MARKER = '<!-- infra-review:plan -->';
/** GitHub's limit for an issue comment body. */
export const COMMENT_MAX_LENGTH = 65_536;
/** GitHub's limit for a check run's `output.summary` and `output.text`. */
export const CHECK_OUTPUT_MAX_LENGTH = 65_535;
/** Beyond this many comments for one plan, details point to the check run instead (comment spam, rate limits). */
export const DEFAULT_MAX_BODIES = 10;

/** Marker of continuation comment `part` (2..N), so the app can find, update and delete them. */
export function planCommentPartMarker(part: number): string {
  return `<!-- infra-review:plan:part-${part} -->`;
}

function whereToLook(input: PlanCommentInput): string {
  return input.checkRunUrl ? `the [infra-review/plan check run](${encodeURI(input.checkRunUrl).replace(/[()]/g, encodeURIComponent)})` : 'the `infra-review/plan` check run';
}

/**
 * The plan comment as one or more bodies, each at most `limits.maxLength` characters. Body 1 starts
 * with {@link PLAN_COMMENT_MARKER} and holds the whole summary; details continue in bodies 2..N.
 */
export function renderPlanComment(input: PlanCommentInput, limits: RenderLimits = {}): string[] {
  const view = buildPlanView(input);
  const head = renderTemplate('plan-summary', { ...view, marker: PLAN_COMMENT_MARKER });
  const details = renderTemplate('plan-details', view);
  const tail = renderTemplate('plan-next-steps', view);
  return splitBodies(details, {
    limit: limits.maxLength ?? COMMENT_MAX_LENGTH,
    maxBodies: limits.maxBodies ?? DEFAULT_MAX_BODIES,
    head,
    tail: `\n${tail}`,
    continuationHeader: (part, total) =>
      `${planCommentPartMarker(part)}\n_infra-review plan, continued from the previous comment (part ${part} of ${total})._\n`,
    continuedNote: (nextPart, total) => `\n_Continued in the next comment (part ${nextPart} of ${total})._`,
    truncationNote: (omitted) =>
      `\n> [!WARNING]\n> ${omitted} more lines of plan details do not fit in comments. The full details are in ${whereToLook(input)}.`,
  });
}

export interface PlanCheckOutput {
  title: string;
  summary: string;
  text: string;
}

/** Output of the `infra-review/plan` check run: the same summary and details, each within GitHub's limit. */
export function renderPlanCheckSummary(input: PlanCommentInput, limits: Pick<RenderLimits, 'maxLength'> = {}): PlanCheckOutput {
  const limit = limits.maxLength ?? CHECK_OUTPUT_MAX_LENGTH;
  const view = buildPlanView(input);
  const unsplit = {
    limit,
    maxBodies: 1,
    continuationHeader: () => '',
    continuedNote: () => '',
  };
  const [summary] = splitBodies('', {
    ...unsplit,
    head: renderTemplate('plan-summary', { ...view, marker: null }),
    truncationNote: (omitted) => `\n_${omitted} more summary lines do not fit here; see the pull request comment._`,
  });
  const [text] = splitBodies(renderTemplate('plan-details', view), {
    ...unsplit,
    head: '',
    truncationNote: (omitted) =>
      `\n_${omitted} more lines of plan details do not fit in a check run. Run \`infra-review render PLAN.json --out-dir DIR\` on the plan file to see them all._`,
  });
  return { title: planTitle(input), summary: summary ?? '', text: text ?? '' };
}
