import { describe, expect, it } from 'vitest';
import {
  CHECK_OUTPUT_MAX_LENGTH,
  PLAN_COMMENT_MARKER,
  planCommentPartMarker,
  policyChangedNotice,
  renderPlanCheckSummary,
  renderPlanComment,
} from '../../src/render/render-plan-comment.js';
import { DEFAULT_PLAN_MARKER, planCommentMarker } from '../../src/github/ensure-plan-comment.js';
import type { PlanCommentInput } from '../../src/render/plan-comment-input.js';
import type { PlanSummary } from '../../src/plan/analysis.js';
import { analysis, change, fenceBalance, outsideFences, planned } from './analysis-builder.js';

const dbDestroy = change('aws_db_instance.main', {
  action: 'delete',
  actions: ['delete'],
  risk: 'critical',
  reasons: ['destroys a database'],
  header: '# aws_db_instance.main will be destroyed',
  diff: '- resource "aws_db_instance" "main" {\n-     password = (sensitive value)\n  }',
});

function input(overrides: Partial<PlanCommentInput> = {}): PlanCommentInput {
  return {
    headSha: '0123456789abcdef0123456789abcdef01234567',
    projects: [planned('prod', analysis([change('aws_instance.web'), dbDestroy]))],
    ...overrides,
  };
}

/** The summary table rows of body 1, split into cells the way GFM does (unescaped `|` ends a cell). */
function tableRows(body: string): string[][] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
}

describe('renderPlanComment', () => {
  it('starts with the marker and a summary row per project with counts and risk', () => {
    const [body, ...rest] = renderPlanComment(
      input({
        projects: [
          planned('prod', analysis([change('aws_instance.web'), dbDestroy])),
          { name: 'staging', dir: 'envs/staging', workspace: 'default', status: 'failed', error: { message: 'Error: boom' } },
          { name: 'dev', dir: 'envs/dev', workspace: 'default', status: 'skipped', skippedReason: 'no changed files' },
        ],
      }),
    );
    expect(rest).toEqual([]);
    expect(body?.split('\n')[0]).toBe(PLAN_COMMENT_MARKER);
    const rows = tableRows(body as string);
    expect(rows[0]).toEqual(['Project', 'Add', 'Change', 'Destroy', 'Replace', 'Risk', 'Status']);
    expect(rows[1]).toEqual(['<code>prod</code>', '1', '0', '1', '0', '🔴 critical', '📝 planned']);
    expect(rows[2]?.[6]).toBe('❌ plan failed');
    expect(rows[3]?.[6]).toBe('⏭️ skipped: no changed files');
    expect(rows[4]?.slice(0, 5)).toEqual(['**Total**', '**1**', '**0**', '**1**', '**0**']);
    expect(body).toContain('for commit 0123456');
  });

  it('orders the sections: summary, approval, notices, risk reasons, details, failures, next steps', () => {
    const [body] = renderPlanComment(
      input({
        projects: [
          planned('prod', analysis([change('aws_instance.web'), dbDestroy])),
          { name: 'staging', dir: 'envs/staging', workspace: 'default', status: 'failed', error: { message: 'Error: boom', output: 'log line' } },
        ],
        approvalStatus: '**Approval:** 0 of 1 required approvals',
        notices: ['This PR changes `.github/INFRAOWNERS`: the change takes effect after merge.'],
      }),
    );
    const order = [
      '| Project |',
      '**Approval:** 0 of 1',
      'This PR changes `.github/INFRAOWNERS`',
      '**Why this risk**',
      '<code>aws&#95;db&#95;instance.main</code> will be destroyed',
      '<code>aws&#95;instance.web</code> will be created',
      'plan failed\n',
      '```\nError: boom\n```',
      '```\nlog line\n```',
      '**What next**',
    ].map((needle) => (body as string).indexOf(needle));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('shows the riskiest resources first and each diff in a diff fence inside <details>', () => {
    const [body] = renderPlanComment(input());
    expect(body).toMatch(
      /<details><summary>🔴 critical <code>aws&#95;db&#95;instance.main<\/code> will be destroyed<\/summary>\n\n- destroys a database\n\n```diff\n# aws_db_instance.main will be destroyed\n- resource "aws_db_instance" "main" \{\n- {5}password = \(sensitive value\)\n {2}\}\n```\n\n<\/details>/,
    );
  });

  it('keeps hostile addresses, names and error output from breaking out of cells, summaries and fences', () => {
    const hostileAddress = 'aws_s3_bucket.b["x|y</summary></details>\n\n# Pwned @acme/admins `z`"]';
    const bodies = renderPlanComment(
      input({
        projects: [
          planned('p|<b>@acme/sre', analysis([change(hostileAddress, { diff: '+ x = "```\n</details>\n```"', reasons: ['@acme/admins look'] })])),
          { name: 'f', dir: 'd', workspace: 'w', status: 'failed', error: { message: '```\n# injected heading\n```', output: '</details>\n<details><summary>x' } },
        ],
      }),
    );
    const body = bodies[0] as string;
    // the table keeps its 7 cells in every row
    for (const row of tableRows(body)) expect(row).toHaveLength(7);
    // no line outside a fence comes from the hostile text
    // markup outside fences and code spans (the next steps quote `/apply -p NAME` in a code span)
    const markup = outsideFences(body).replace(/(`+)[^`].*?\1/g, '');
    expect(markup).not.toMatch(/^# (injected heading|Pwned)/m);
    expect(markup).not.toMatch(/@acme/);
    expect(markup).not.toContain('</summary></details>');
    expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
    // the hostile diff and error are shown verbatim inside longer fences
    expect(body).toContain('````diff\n# aws_s3_bucket');
    expect(body).toContain('````\n```\n# injected heading\n```\n````');
    // every <summary> stays on its own line
    for (const line of markup.split('\n').filter((l) => l.startsWith('<details>'))) expect(line).toMatch(/<\/summary>$/);
  });

  it('tells the reader the exact commands to type next', () => {
    const [single] = renderPlanComment(input());
    expect(single).toContain('Comment `/apply` to apply every project.');
    expect(single).toContain('Comment `/plan` to plan again.');
    const [multi] = renderPlanComment(
      input({ projects: [planned('prod', analysis([dbDestroy])), planned('staging', analysis([]))] }),
    );
    expect(multi).toContain('or one project: `/apply -p prod`.');
    expect(multi).not.toContain('/apply -p staging');
    const [failed] = renderPlanComment(
      input({ projects: [{ name: 'x', dir: '.', workspace: 'default', status: 'failed', error: { message: 'e' } }] }),
    );
    expect(failed).toContain('Fix the errors above and push, or comment `/plan` to plan again.');
    expect(failed).toContain('Nothing to apply.');
    // A project not planned at this commit (autoplan off) is no "nothing to apply": it waits for `/plan -p`.
    const skip = (name: string) => ({ name, dir: name, workspace: 'default', status: 'skipped' as const, skippedReason: `autoplan is off for this project; comment \`/plan -p ${name}\`` });
    const [unplanned] = renderPlanComment(input({ projects: [skip('prod')] }));
    expect(unplanned).not.toContain('Nothing to apply.');
    expect(unplanned).toContain('Not planned at this commit yet: comment `/plan -p prod`, then `/apply`. Until then `infra-review/apply` does not pass.');
    const [mixed] = renderPlanComment(input({ projects: [planned('staging', analysis([dbDestroy])), skip('prod'), skip('dev')] }));
    expect(mixed).toContain('Comment `/apply` to apply every project');
    expect(mixed).toContain('comment `/plan -p prod`, `/plan -p dev`, then `/apply`');
  });

  it('shows drift, output changes and notes of a project', () => {
    const [body] = renderPlanComment(
      input({
        projects: [
          planned(
            'prod',
            analysis([], {
              drift: [change('aws_instance.old', { action: 'update', actions: ['update'], risk: 'none', diff: '~ tags = {}' })],
              outputs: [{ name: 'url', action: 'update', sensitive: false, diff: '~ url = "a" -> "b"' }],
              notes: ['deferred change to module.x'],
            }),
          ),
        ],
      }),
    );
    expect(body).toContain('**Changes outside Terraform**');
    expect(body).toContain('<code>aws&#95;instance.old</code> has changed</summary>');
    expect(body).toContain('**Changes to outputs**\n\n```diff\n~ url = "a" -> "b"\n```');
    expect(body).toContain('- deferred change to module.x');
  });

  it('splits a large plan: summary whole in body 1, marked continuation bodies, none over the limit', () => {
    const changes = Array.from({ length: 300 }, (_, i) =>
      change(`aws_instance.n${i}`, { diff: Array.from({ length: 8 }, (_, j) => `+ attr${j} = "value-${i}-${j}"`).join('\n') }),
    );
    const projects = [planned('prod', analysis(changes)), planned('stage', analysis(changes.slice(0, 10)))];
    const bodies = renderPlanComment(input({ projects, approvalStatus: '**Approval:** pending' }), { maxLength: 8000, maxBodies: 100 });
    expect(bodies.length).toBeGreaterThan(5);
    const summaryEnd = (bodies[0] as string).indexOf('#### Project');
    expect(summaryEnd).toBeGreaterThan(0);
    const [single] = renderPlanComment(input({ projects, approvalStatus: '**Approval:** pending' }), { maxLength: 10_000_000 });
    expect((bodies[0] as string).slice(0, summaryEnd)).toBe((single as string).slice(0, summaryEnd));
    bodies.forEach((body, i) => {
      expect(body.length).toBeLessThanOrEqual(8000);
      expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
      if (i > 0) {
        expect(body.split('\n')[0]).toBe(planCommentPartMarker(i + 1));
        expect(body).toContain(`continued from the previous comment (part ${i + 1} of ${bodies.length})`);
      }
    });
    // every resource appears somewhere, and the next steps close the last body
    const all = bodies.join('\n');
    for (let i = 0; i < 300; i++) expect(all).toContain(`value-${i}-7`);
    expect(bodies.at(-1)).toContain('**What next**');
  });

  it('builds only the bodies asked for (keepBodies), each exactly as in the whole comment', () => {
    const changes = Array.from({ length: 300 }, (_, i) => change(`aws_instance.n${i}`));
    const commentInput = input({ projects: [planned('prod', analysis(changes))] });
    const all = renderPlanComment(commentInput, { maxLength: 5000 });
    expect(all.length).toBeGreaterThan(3);
    expect(renderPlanComment(commentInput, { maxLength: 5000, keepBodies: 1 })).toEqual(all.slice(0, 1));
    expect(all[0]).toContain(`(part 2 of ${all.length})`);
    expect(renderPlanComment(commentInput, { maxLength: 5000, keepBodies: 2 })).toEqual(all.slice(0, 2));
  });

  it('caps the number of bodies and points to the check run for the rest', () => {
    const changes = Array.from({ length: 300 }, (_, i) => change(`aws_instance.n${i}`));
    const bodies = renderPlanComment(input({ projects: [planned('prod', analysis(changes))], checkRunUrl: 'https://github.com/a/b/runs/1' }), {
      maxLength: 5000,
      maxBodies: 3,
    });
    expect(bodies).toHaveLength(3);
    expect(bodies[2]).toMatch(/The details of \d+ more resource changes do not fit in comments\. The full details are in the \[infra-review\/plan check run\]\(https:\/\/github\.com\/a\/b\/runs\/1\)/);
  });
});

describe('renderPlanComment for a publisher that adds the markers', () => {
  it('leaves the markers out and keeps marker + body within the limit', () => {
    const changes = Array.from({ length: 400 }, (_, i) => change(`aws_instance.n${i}`));
    const bodies = renderPlanComment(input({ projects: [planned('prod', analysis(changes))] }), { maxLength: 6000, maxBodies: 12, withMarkers: false });
    expect(bodies.length).toBeGreaterThan(10);
    bodies.forEach((body, i) => {
      expect(body).not.toContain('<!-- infra-review:plan');
      // exactly what src/github/ensure-plan-comment.ts posts
      expect(`${planCommentMarker(DEFAULT_PLAN_MARKER, i + 1)}\n${body}`.length).toBeLessThanOrEqual(6000);
    });
    expect(bodies[1]).toMatch(/^_infra-review plan, continued from the previous comment \(part 2 of \d+\)\._/);
  });
});

describe('policyChangedNotice', () => {
  it('names the changed policy files in code spans and says when the change applies', () => {
    const notice = policyChangedNotice(['.github/INFRAOWNERS', 'a`b']);
    expect(notice).toBe(
      'This pull request changes `.github/INFRAOWNERS`, ``a`b``: the change takes effect after merge. Approvals for this pull request follow the version on the base branch.',
    );
    const [body] = renderPlanComment(input({ notices: [notice] }));
    expect(body).toContain(`ℹ️ ${notice}`);
  });
});

describe('the applied state', () => {
  it('shows who applied a project, and from which commit, in its status cell', () => {
    const [body] = renderPlanComment(
      input({ applied: [{ project: 'prod', status: 'applied', by: 'alice', sha: 'abcdef0123456789' }] }),
    );
    expect(tableRows(body as string)[1]?.[6]).toBe('✅ applied: by alice at abcdef0');
  });
});

describe('a project planned earlier at this commit', () => {
  const earlier = (hasChanges: boolean, summary: PlanSummary | null = { add: 0, change: 2, destroy: 1, replace: 1, import: 0, move: 0, forget: 0, read: 0, no_op: 0 }) => ({
    name: 'staging',
    dir: 'envs/staging',
    workspace: 'default',
    status: 'planned' as const,
    plannedEarlier: { summary, risk: 'high' as const, hasChanges },
  });

  it('keeps its row, counts and risk in the table, the total and the title, without resource details', () => {
    const view = input({ projects: [planned('prod', analysis([change('aws_instance.web')])), earlier(true)] });
    const [body] = renderPlanComment(view);
    const rows = tableRows(body as string);
    expect(rows[2]).toEqual(['<code>staging</code>', '0', '2', '1', '1', '🟠 high', '📝 planned earlier at this commit']);
    expect(rows[3]).toEqual(['**Total**', '**1**', '**2**', '**1**', '**1**', '🟠 high', '']);
    expect(body).toContain('**1 to add, 2 to change, 1 to destroy, 1 to replace · risk high**');
    expect(body).toContain('#### Project <code>staging</code>\n\n<code>envs/staging</code> · workspace <code>default</code> · 0 to add, 2 to change, 1 to destroy, 1 to replace · risk 🟠 high');
    expect(body).toContain('Planned earlier at this commit and not planned again by this run');
    expect(body).toContain('`/plan -p staging`');
    // It can still be applied: the next steps offer it.
    expect(body).toContain('`/apply -p staging`');
    expect(renderPlanCheckSummary(view).title).toBe('1 to add, 2 to change, 1 to destroy, 1 to replace · risk high');
  });

  it('says "no changes" for one without changes, and shows dashes when its summary is gone', () => {
    const [body] = renderPlanComment(input({ projects: [earlier(false, null)] }));
    expect(tableRows(body as string)[1]).toEqual(['<code>staging</code>', '–', '–', '–', '–', '🟠 high', '✔️ no changes (planned earlier at this commit)']);
    expect(body).toContain('Nothing to apply.');
    expect(body).toContain('<code>envs/staging</code> · workspace <code>default</code> · risk 🟠 high');
  });

  it('shows who applied it in its status cell', () => {
    const [body] = renderPlanComment(input({ projects: [earlier(true)], applied: [{ project: 'staging', status: 'applied', by: 'alice', sha: 'abcdef0123456789' }] }));
    expect(tableRows(body as string)[1]?.[6]).toBe('✅ applied: by alice at abcdef0');
  });
});

describe('renderPlanCheckSummary', () => {
  it('gives a title, the summary without the marker, and the details', () => {
    const out = renderPlanCheckSummary(input());
    expect(out.title).toBe('1 to add, 0 to change, 1 to destroy · risk critical');
    expect(out.summary).not.toContain(PLAN_COMMENT_MARKER);
    expect(tableRows(out.summary)[1]?.[0]).toBe('<code>prod</code>');
    expect(out.text).toContain('```diff\n# aws_db_instance.main will be destroyed');
  });

  it('keeps summary and text within the check run limit, truncating text with a note', () => {
    const changes = Array.from({ length: 3000 }, (_, i) => change(`aws_instance.n${i}`));
    const out = renderPlanCheckSummary(input({ projects: [planned('prod', analysis(changes))] }));
    expect(out.summary.length).toBeLessThanOrEqual(CHECK_OUTPUT_MAX_LENGTH);
    expect(out.text.length).toBeLessThanOrEqual(CHECK_OUTPUT_MAX_LENGTH);
    expect(out.text).toMatch(/The details of \d+ more resource changes do not fit in a check run/);
    expect(fenceBalance(out.text)).toEqual({ open: false, unclosedDetails: 0 });
  });
});
