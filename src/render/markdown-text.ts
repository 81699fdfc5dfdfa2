/**
 * The only ways untrusted text (plan values, resource addresses, project names, error output) may enter
 * a comment. Everything here is pure and total: any string in, markdown that cannot break out of its
 * container out.
 */

/** Longest run of `char` in `text` (0 when absent). Jumps between occurrences: diffs are long. */
function longestRun(text: string, char: string): number {
  let longest = 0;
  let at = text.indexOf(char);
  while (at !== -1) {
    let end = at + 1;
    while (text[end] === char) end++;
    if (end - at > longest) longest = end - at;
    at = text.indexOf(char, end);
  }
  return longest;
}

/** Line endings GitHub's markdown treats as a line break, normalised to `\n`. */
export function normalizeNewlines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** `text` without trailing newlines (a loop: a regex anchored at the end rescans long diffs). */
export function trimTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * A fenced code block holding `content` verbatim. The fence is longer than any backtick run in the
 * content (and at least 3), so no content line can close it; the info string is ours, never user text.
 */
export function codeFence(content: string, info = ''): string {
  const body = trimTrailingNewlines(normalizeNewlines(content));
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  const safeInfo = info.replace(/[^A-Za-z0-9_+-]/g, '');
  return `${fence}${safeInfo}\n${body}\n${fence}`;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** Control characters shown as visible escapes, so they can neither end a line nor hide text. */
function showControls(text: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** Cut to `max` code points with an ellipsis, never splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  // A string of at most `max` code units has at most `max` code points: the common case costs nothing.
  if (text.length <= max) return text;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Every character markdown, GitHub or HTML could read as syntax, as a numeric entity: no `|` to end a
 * table cell, no `<` or `&` to open a tag or entity, no backtick, emphasis, link (`[`, `]`: parentheses
 * alone make no link), math (`$`) or emoji (`:`) syntax. Browsers show the original character.
 */
const ESCAPED = /[!#$&:<>@[\\\]^_`|~*]/g;
const ENTITIES = new Map([...'!#$&:<>@[\\]^_`|~*'].map((c) => [c, `&#${c.charCodeAt(0)};`]));

function entityEscape(text: string): string {
  return text.replace(ESCAPED, (c) => ENTITIES.get(c) as string);
}

/** Longest untrusted string shown inline; longer ones are cut (the full text lives in fenced diffs). */
export const MAX_INLINE_LENGTH = 300;

/**
 * Untrusted text shown inline anywhere outside a fence (table cells, `<summary>`, list items):
 * an HTML `<code>` element whose content is entity-escaped on one line. GitHub does not turn
 * `@team` mentions or `#123` references inside `<code>` into links or notifications.
 */
export function htmlCode(text: string, max = MAX_INLINE_LENGTH): string {
  return `<code>${entityEscape(showControls(truncateText(text, max)))}</code>`;
}

/**
 * Untrusted prose (e.g. risk reasons that quote addresses) as plain inline text: entity-escaped on one
 * line, with a word joiner after `@` and `#` so it cannot mention users or teams or link issues.
 */
export function plainText(text: string, max = 1000): string {
  return entityEscape(showControls(truncateText(text, max))).replace(/&#(64|35);/g, '&#$1;\u2060');
}

/**
 * Untrusted text as a markdown code span (for text a reader copies, such as `/apply -p NAME`).
 * The backtick fence is longer than any run in the content; newlines become visible escapes; `|`
 * is escaped only when the span sits in a table cell, which is why table cells use {@link htmlCode}.
 */
export function inlineCode(text: string, max = MAX_INLINE_LENGTH): string {
  const content = showControls(truncateText(text, max));
  const fence = '`'.repeat(longestRun(content, '`') + 1);
  const pad = content.startsWith('`') || content.endsWith('`') || content.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}
