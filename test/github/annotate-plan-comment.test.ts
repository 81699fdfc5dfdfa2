import { describe, expect, it } from 'vitest';
import { withBlock } from '../../src/github/annotate-plan-comment.js';

const MARKER = '<!-- infra-review:plan -->';

describe('withBlock', () => {
  it('inserts a new block right below the marker line', () => {
    expect(withBlock(`${MARKER}\n## Plan\nbody`, MARKER, 'status', 'PR closed.')).toBe(
      `${MARKER}\n<!-- infra-review:status -->\nPR closed.\n<!-- /infra-review:status -->\n## Plan\nbody`,
    );
  });

  it('replaces an existing block where it stands, leaving the rest untouched', () => {
    const body = `${MARKER}\n## Plan\n<!-- infra-review:approval -->\n0 of 1 approvals\n<!-- /infra-review:approval -->\n\nDetails`;
    const updated = withBlock(body, MARKER, 'approval', 'Approved by `bob`');
    expect(updated).toBe(`${MARKER}\n## Plan\n<!-- infra-review:approval -->\nApproved by \`bob\`\n<!-- /infra-review:approval -->\n\nDetails`);
    // Idempotent: the same text again changes nothing.
    expect(withBlock(updated, MARKER, 'approval', 'Approved by `bob`')).toBe(updated);
  });

  it('never grows a body past GitHub comment limit', () => {
    const body = `${MARKER}\n${'x'.repeat(65_400)}`;
    const updated = withBlock(body, MARKER, 'status', 'y'.repeat(500));
    expect(updated.length).toBeLessThanOrEqual(65_536);
    expect(updated).toContain('<!-- /infra-review:status -->');
  });
});
