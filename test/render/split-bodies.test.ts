import { describe, expect, it } from 'vitest';
import { splitBodies } from '../../src/render/split-bodies.js';
import type { SplitOptions } from '../../src/render/split-bodies.js';
import { fenceBalance } from './analysis-builder.js';

const options = (limit: number, extra: Partial<SplitOptions> = {}): SplitOptions => ({
  limit,
  head: 'HEAD\n',
  tail: 'TAIL\n',
  continuationHeader: (part, total) => `<!-- part-${part} -->\ncontinued (part ${part} of ${total})\n`,
  continuedNote: (next, total) => `(continues in part ${next} of ${total})`,
  truncationNote: ({ blocksShown, cutInsideBlock }) => `TRUNCATED after ${blocksShown} blocks${cutInsideBlock ? ' and part of one' : ''}`,
  ...extra,
});

function resourceBlock(i: number, lines: number): string {
  const diff = Array.from({ length: lines }, (_, j) => `+ attr_${i}_${j} = "${'v'.repeat(20)}"`).join('\n');
  return `<details><summary>resource ${i}</summary>\n\n\`\`\`diff\n${diff}\n\`\`\`\n\n</details>`;
}

/** Content lines (inside fences) of every body, in order: what a reader sees across the comments. */
function fencedLines(bodies: string[]): string[] {
  const lines: string[] = [];
  for (const body of bodies) {
    let inFence = false;
    for (const line of body.split('\n')) {
      if (/^```/.test(line)) inFence = !inFence;
      else if (inFence) lines.push(line);
    }
  }
  return lines;
}

describe('splitBodies', () => {
  it('returns a single body when everything fits', () => {
    const details = resourceBlock(1, 3);
    expect(splitBodies(details, options(10_000))).toEqual([`HEAD\n${details}\nTAIL\n`]);
  });

  it('cuts at line boundaries, closing and reopening fences and <details> at each cut', () => {
    // 25 diff lines (about 1000 characters) per resource: two never fit in one 1500-character body
    const details = Array.from({ length: 20 }, (_, i) => resourceBlock(i, 25)).join('\n');
    const bodies = splitBodies(details, options(1500));
    expect(bodies.length).toBeGreaterThan(5);
    bodies.forEach((body, i) => {
      expect(body.length).toBeLessThanOrEqual(1500);
      expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
      if (i > 0) expect(body.startsWith(`<!-- part-${i + 1} -->\ncontinued (part ${i + 1} of ${bodies.length})\n`)).toBe(true);
      if (i < bodies.length - 1) expect(body.endsWith(`(continues in part ${i + 2} of ${bodies.length})\n`)).toBe(true);
    });
    expect(bodies[0]?.startsWith('HEAD\n')).toBe(true);
    expect(bodies.at(-1)?.endsWith('TAIL\n')).toBe(true);
    // no diff line is lost or duplicated
    expect(fencedLines(bodies)).toEqual(fencedLines([details]));
    // a resource cut in the middle is reopened with its summary marked as continued
    expect(bodies.slice(1).some((body) => /<details><summary>resource \d+ \(continued\)<\/summary>\n\n```diff\n/.test(body))).toBe(true);
    // a cut never leaves an opened element empty: an opener moves to the next body with its content
    for (const body of bodies) expect(body).not.toMatch(/<\/summary>\n\n(```diff\n)?(```\n)?\n?<\/details>/);
  });

  it('cuts a single diff larger than a body across several bodies', () => {
    const details = resourceBlock(0, 400);
    const bodies = splitBodies(details, options(2000));
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) {
      expect(body.length).toBeLessThanOrEqual(2000);
      expect(fenceBalance(body)).toEqual({ open: false, unclosedDetails: 0 });
    }
    expect(fencedLines(bodies)).toEqual(fencedLines([details]));
  });

  it('cuts a line longer than a whole body into pieces', () => {
    const long = 'x'.repeat(5000);
    const bodies = splitBodies(`\`\`\`\n${long}\n\`\`\``, options(1200));
    for (const body of bodies) {
      expect(body.length).toBeLessThanOrEqual(1200);
      expect(fenceBalance(body).open).toBe(false);
    }
    expect(fencedLines(bodies).join('')).toBe(long);
  });

  it('stops at maxBodies, says how far it got, and never renders the blocks it drops', () => {
    let produced = 0;
    const blocks = function* () {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield resourceBlock(i, 10);
      }
    };
    const bodies = splitBodies(blocks, options(1500, { maxBodies: 3 }));
    expect(bodies).toHaveLength(3);
    const last = bodies[2] as string;
    expect(last.length).toBeLessThanOrEqual(1500);
    expect(fenceBalance(last)).toEqual({ open: false, unclosedDetails: 0 });
    expect(last.endsWith('TAIL\n')).toBe(true);
    expect(bodies[1]).toContain('part 2 of 3');
    const shown = Number(/TRUNCATED after (\d+) blocks/.exec(last)?.[1]);
    // the whole blocks it claims were shown are in the bodies, the next one is not (whole)
    const all = bodies.join('');
    expect(all).toContain(`resource ${shown - 1}</summary>`);
    expect(all).not.toContain(`attr_${shown}_9 `);
    expect(produced).toBeLessThan(20);
  });

  it('never cuts the head: details are dropped entirely when the head leaves no room', () => {
    // 1413 characters: fits with the notes, leaves no room for the first details line
    const head = `HEAD\n${'| row |\n'.repeat(176)}`;
    const bodies = splitBodies(resourceBlock(1, 50), options(1500, { head }));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.startsWith(head)).toBe(true);
    expect(bodies[0]).toContain('TRUNCATED after 0 blocks');
    expect(bodies[0]?.length).toBeLessThanOrEqual(1500);
  });

  it('cuts a head that alone exceeds the limit at a line boundary rather than exceed the limit', () => {
    const head = 'summary line\n'.repeat(500);
    const bodies = splitBodies('details', options(1000, { head }));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.length).toBeLessThanOrEqual(1000);
    expect(bodies[0]).toMatch(/^(summary line\n)+\n_\d+ more summary lines do not fit here\._\nTRUNCATED after 0 blocks and part of one\nTAIL\n$/);
  });

  it('builds only the first keepBodies bodies, each exactly as in the full split, part numbers of the whole', () => {
    const details = Array.from({ length: 60 }, (_, i) => resourceBlock(i, 10)).join('\n');
    for (const extra of [{}, { maxBodies: 4 }]) {
      const all = splitBodies(details, options(1000, extra));
      expect(all.length).toBeGreaterThan(3);
      for (const keep of [0, 1, 2, all.length, all.length + 1]) {
        expect(splitBodies(details, options(1000, { ...extra, keepBodies: keep }))).toEqual(all.slice(0, keep));
      }
    }
    // Also when the head leaves no room for details, and when the head alone is too long.
    for (const head of [`HEAD\n${'| row |\n'.repeat(176)}`, 'summary line\n'.repeat(500)]) {
      const all = splitBodies(resourceBlock(1, 50), options(1500, { head }));
      expect(splitBodies(resourceBlock(1, 50), options(1500, { head, keepBodies: 1 }))).toEqual(all);
      expect(splitBodies(resourceBlock(1, 50), options(1500, { head, keepBodies: 0 }))).toEqual([]);
    }
  });

  it('counts parts correctly past nine bodies', () => {
    const details = Array.from({ length: 60 }, (_, i) => resourceBlock(i, 10)).join('\n');
    const bodies = splitBodies(details, options(1000));
    expect(bodies.length).toBeGreaterThan(10);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(1000);
    expect(bodies.at(-1)).toContain(`part ${bodies.length} of ${bodies.length}`);
  });
});
