/**
 * CODEOWNERS patterns compiled to RegExp, with GitHub's semantics (gitignore rules minus what
 * CODEOWNERS rejects):
 * - no slash, or only a trailing one: matches at any depth (`*.tf`, `modules/`);
 * - a leading slash, or a slash in the middle: anchored at the repository root (`/envs`, `envs/prod`);
 * - a trailing slash: a directory and everything under it, never a file of that name;
 * - otherwise the pattern matches a file of that name or a directory and everything under it;
 * - `*` and `?` stay within one path segment; a segment that is just `*` matches one entry and
 *   does not descend (`docs/*` matches `docs/a.md`, not `docs/x/a.md`, as GitHub documents);
 * - `**` crosses segments: `**` / `**\/x` (any leading directories), `x/**` (everything inside),
 *   `a/**\/b` (zero or more directories);
 * - case-sensitive; `\` escapes the next character (`\ ` is a space).
 * Rejected as GitHub does: `!` negation, `[ ]` character ranges, `\#`.
 */

export type CompiledPattern =
  | {
      ok: true;
      matcher: RegExp;
      /** Literal text every matching path starts with ('' when none): a cheap startsWith test before the RegExp. */
      literalPrefix: string;
    }
  | { ok: false; errors: string[] };

interface PatternChar {
  ch: string;
  escaped: boolean;
}

export function compilePattern(pattern: string): CompiledPattern {
  const errors: string[] = [];
  if (pattern.startsWith('!')) errors.push(`negation (\`!\`) is not supported in CODEOWNERS patterns: "${pattern}"`);

  const chars: PatternChar[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) {
        errors.push(`pattern ends with a lone backslash: "${pattern}"`);
      } else if (next === '#') {
        errors.push(`escaping \`#\` with a backslash is not supported in CODEOWNERS patterns: "${pattern}"`);
      } else {
        chars.push({ ch: next, escaped: true });
      }
      i++;
      continue;
    }
    if (ch === '[' || ch === ']') {
      if (!errors.some((e) => e.startsWith('character ranges'))) {
        errors.push(`character ranges (\`[ ]\`) are not supported in CODEOWNERS patterns: "${pattern}"`);
      }
      continue;
    }
    chars.push({ ch, escaped: false });
  }

  let segments = splitSegments(chars);
  if (segments.length === 2 && segments[0]!.length === 0 && segments[1]!.length === 0) {
    errors.push('"/" alone is not a valid pattern; use "*" to match every file');
  } else if (segments.slice(1, -1).some((s) => s.length === 0)) {
    errors.push(`pattern has an empty path segment ("//"): "${pattern}"`);
  }
  if (errors.length > 0) return { ok: false, errors };

  // Anchoring: a leading slash, or a slash anywhere but at the end, anchors at the root.
  const leadingSlash = segments[0]!.length === 0;
  if (leadingSlash) {
    segments = segments.slice(1);
  } else if (segments.length === 1 || (segments.length === 2 && segments[1]!.length === 0)) {
    segments = [[star(), star()], ...segments];
  }
  // A trailing slash means "everything under this directory", i.e. a trailing `/**`.
  if (segments.length > 1 && segments[segments.length - 1]!.length === 0) {
    segments[segments.length - 1] = [star(), star()];
  }
  // Consecutive `**` segments mean the same as one.
  segments = segments.filter((seg, i) => !(isDoubleStar(seg) && i > 0 && isDoubleStar(segments[i - 1]!)));

  const literalPrefix = leadingLiteral(segments);
  const last = segments.length - 1;
  let source = '^';
  let needSlash = false;
  segments.forEach((seg, i) => {
    if (isDoubleStar(seg)) {
      if (i === 0 && i === last) source += '.+';
      else if (i === 0) source += '(?:.+/)?';
      else if (i === last) source += '/.+';
      else source += '(?:/.+)?';
      needSlash = i !== 0;
      return;
    }
    if (needSlash) source += '/';
    needSlash = true;
    if (isSingleStar(seg)) {
      // one entry of this directory, never its descendants (GitHub's `docs/*`)
      source += '[^/]+';
      return;
    }
    for (const c of seg) {
      if (!c.escaped && c.ch === '*') source += '[^/]*';
      else if (!c.escaped && c.ch === '?') source += '[^/]';
      else source += escapeRegExp(c.ch);
    }
    // a name without a trailing slash matches a file, or a directory and everything under it
    if (i === last) source += '(?:/.*)?';
  });
  source += '$';
  return { ok: true, matcher: new RegExp(source, 's'), literalPrefix };
}

/** The literal characters before the first wildcard (unanchored patterns start with `**`, so give ''). */
function leadingLiteral(segments: PatternChar[][]): string {
  let prefix = '';
  for (const [i, seg] of segments.entries()) {
    if (i > 0) prefix += '/';
    for (const c of seg) {
      if (!c.escaped && (c.ch === '*' || c.ch === '?')) return prefix;
      prefix += c.ch;
    }
  }
  // the whole pattern is literal: it matches the name itself, or a directory of that name
  return prefix;
}

function star(): PatternChar {
  return { ch: '*', escaped: false };
}

function splitSegments(chars: PatternChar[]): PatternChar[][] {
  const segments: PatternChar[][] = [[]];
  for (const c of chars) {
    if (c.ch === '/' && !c.escaped) segments.push([]);
    else segments[segments.length - 1]!.push(c);
  }
  return segments;
}

function isDoubleStar(seg: PatternChar[]): boolean {
  return seg.length === 2 && seg.every((c) => c.ch === '*' && !c.escaped);
}

function isSingleStar(seg: PatternChar[]): boolean {
  return seg.length === 1 && seg[0]!.ch === '*' && !seg[0]!.escaped;
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/** Paths are repository-relative with forward slashes; a leading `./` or `/` is dropped. */
export function normalizePath(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  return p.replace(/\/+$/, '');
}
