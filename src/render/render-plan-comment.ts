import { inlineCode } from './markdown-text.js';
import type { PlanCommentInput, RenderLimits } from './plan-comment-input.js';
import { buildPlanView, planTitle, projectEndView, resourceView } from './plan-view.js';
import type { PlanView } from './plan-view.js';
import { splitBodies } from './split-bodies.js';
import type { TruncationProgress } from './split-bodies.js';
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

/**
 * The notice for a PR that changes the approval policy itself (`.github/INFRAOWNERS`, config): the
 * policy is always read from the base branch, so the change governs only later pull requests.
 */
export function policyChangedNotice(files: string[]): string {
  const names = files.map((file) => inlineCode(file)).join(', ');
  return `This pull request changes ${names}: the change takes effect after merge. Approvals for this pull request follow the version on the base branch.`;
}

function whereToLook(input: PlanCommentInput): string {
  return input.checkRunUrl ? `the [infra-review/plan check run](${encodeURI(input.checkRunUrl).replace(/[()]/g, encodeURIComponent)})` : 'the `infra-review/plan` check run';
}

/**
 * The details of a plan as blocks, rendered one at a time as the splitter asks for them. `kinds`
 * records what each produced block shows, so a truncation note can count the resources left out.
 */
function detailBlocks(view: PlanView, kinds: ('resource' | 'other')[]): () => Iterable<string> {
  return function* blocks() {
    kinds.length = 0;
    for (const project of view.planned) {
      kinds.push('other');
      yield renderTemplate('plan-project', project);
      for (const change of project.changes) {
        kinds.push('resource');
        yield renderTemplate('plan-resource', resourceView(change));
      }
      if (project.drift.length > 0) {
        kinds.push('other');
        yield renderTemplate('plan-drift', {});
        for (const change of project.drift) {
          kinds.push('resource');
          yield renderTemplate('plan-resource', resourceView(change, true));
        }
      }
      kinds.push('other');
      yield renderTemplate('plan-project-end', projectEndView(project));
    }
    for (const earlier of view.plannedEarlier) {
      kinds.push('other');
      yield renderTemplate('plan-project-earlier', earlier);
    }
    for (const failed of view.failed) {
      kinds.push('other');
      yield renderTemplate('plan-failed', failed);
    }
  };
}

/** How many resources (changes and drift) a truncation left out, the one shown in part included. */
function omittedResources(view: PlanView, kinds: ('resource' | 'other')[], progress: TruncationProgress): number {
  const total = view.planned.reduce((sum, project) => sum + project.changes.length + project.drift.length, 0);
  let shown = 0;
  for (let i = 0; i < progress.blocksShown && i < kinds.length; i++) if (kinds[i] === 'resource') shown++;
  return total - shown;
}

function omittedText(view: PlanView, kinds: ('resource' | 'other')[], progress: TruncationProgress): string {
  const omitted = omittedResources(view, kinds, progress);
  if (omitted === 0) return 'The rest of the plan details does not fit';
  return `The details of ${omitted} more ${omitted === 1 ? 'resource change do' : 'resource changes do'} not fit`;
}

/**
 * The plan comment as one or more bodies, each at most `limits.maxLength` characters. Body 1 starts
 * with {@link PLAN_COMMENT_MARKER} and holds the whole summary; details continue in bodies 2..N.
 */
export function renderPlanComment(input: PlanCommentInput, limits: RenderLimits = {}): string[] {
  const view = buildPlanView(input);
  const withMarkers = limits.withMarkers ?? true;
  const maxBodies = limits.maxBodies ?? DEFAULT_MAX_BODIES;
  // Without markers, keep room for the longest one a publisher will put back (and its newline).
  const markerRoom = withMarkers ? 0 : planCommentPartMarker(Number.isFinite(maxBodies) ? maxBodies : 99_999).length + 1;
  const head = renderTemplate('plan-summary', { ...view, marker: withMarkers ? PLAN_COMMENT_MARKER : null });
  const tail = renderTemplate('plan-next-steps', view);
  const kinds: ('resource' | 'other')[] = [];
  return splitBodies(detailBlocks(view, kinds), {
    limit: (limits.maxLength ?? COMMENT_MAX_LENGTH) - markerRoom,
    maxBodies,
    ...(limits.keepBodies === undefined ? {} : { keepBodies: limits.keepBodies }),
    head,
    tail: `\n${tail}`,
    continuationHeader: (part, total) =>
      `${withMarkers ? `${planCommentPartMarker(part)}\n` : ''}_infra-review plan, continued from the previous comment (part ${part} of ${total})._\n`,
    continuedNote: (nextPart, total) => `\n_Continued in the next comment (part ${nextPart} of ${total})._`,
    truncationNote: (progress) =>
      `\n> [!WARNING]\n> ${omittedText(view, kinds, progress)} in comments. The full details are in ${whereToLook(input)}.`,
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
    truncationNote: () => '\n_See the pull request comment for the rest._',
  });
  const kinds: ('resource' | 'other')[] = [];
  const [text] = splitBodies(detailBlocks(view, kinds), {
    ...unsplit,
    head: '',
    truncationNote: (progress) =>
      `\n> [!WARNING]\n> ${omittedText(view, kinds, progress)} in a check run. Run \`infra-review render PLAN.json --out-dir DIR\` on the plan file to see them all.`,
  });
  return { title: planTitle(input), summary: summary ?? '', text: text ?? '' };
}
