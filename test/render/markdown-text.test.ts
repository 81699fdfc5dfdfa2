import { describe, expect, it } from 'vitest';
import { codeFence, htmlCode, inlineCode, plainText, truncateText } from '../../src/render/markdown-text.js';

/** Decodes the numeric entities htmlCode/plainText emit, as a browser would. */
function decode(html: string): string {
  return html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

describe('codeFence', () => {
  it('uses a fence longer than any backtick run in the content, at least three', () => {
    expect(codeFence('plain')).toBe('```\nplain\n```');
    const hostile = 'a\n````\n```diff\nb `````x';
    const fenced = codeFence(hostile, 'diff');
    const fence = fenced.split('\n')[0] as string;
    expect(fence).toBe('``````diff');
    // no content line is a closing fence of that length
    const inner = fenced.split('\n').slice(1, -1);
    expect(inner.some((line) => /^`{6,}\s*$/.test(line))).toBe(false);
    expect(inner.join('\n')).toBe(hostile);
  });

  it('keeps only a safe info string and normalises line endings', () => {
    expect(codeFence('x\r\ny', 'diff`\n<b>')).toBe('```diffb\nx\ny\n```');
  });
});

describe('htmlCode', () => {
  it('cannot end a table cell, open a tag, start a code span or mention anyone', () => {
    const out = htmlCode('a|b<script>`x`@acme/sre #1\nnext');
    expect(out.startsWith('<code>') && out.endsWith('</code>')).toBe(true);
    const inner = out.slice('<code>'.length, -'</code>'.length);
    expect(inner).not.toMatch(/[|<>`@\n]/);
    expect(decode(inner)).toBe('a|b<script>`x`@acme/sre #1\\nnext');
  });

  it('cuts very long text with an ellipsis', () => {
    expect(decode(htmlCode('x'.repeat(1000), 10))).toBe(`<code>${'x'.repeat(9)}…</code>`);
  });
});

describe('plainText', () => {
  it('escapes markdown and breaks @mentions and #references with a word joiner', () => {
    const out = plainText('destroys *db* for @alice in org/repo#12');
    expect(out.replace(/&#\d+;/g, '')).not.toMatch(/[*@#]/);
    expect(decode(out)).toBe('destroys *db* for @\u2060alice in org/repo#\u206012');
  });
});

describe('inlineCode', () => {
  it('wraps text in a code span whose fence is longer than the backtick runs inside', () => {
    expect(inlineCode('/apply -p prod')).toBe('`/apply -p prod`');
    expect(inlineCode('a``b')).toBe('```a``b```');
    expect(inlineCode('`x')).toBe('`` `x ``');
    expect(inlineCode('a\nb')).toBe('`a\\nb`');
  });
});

describe('truncateText', () => {
  it('never splits a surrogate pair', () => {
    expect(truncateText('😀😀😀', 2)).toBe('😀…');
  });
});
