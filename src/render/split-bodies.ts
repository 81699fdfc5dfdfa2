/**
 * Splits rendered markdown into bodies that each fit a size limit (GitHub rejects a comment body over
 * 65,536 characters and a check-run summary/text over 65,535). The head is never cut; the details are
 * cut at line boundaries, and every cut closes the open code fence and `<details>` elements and the next
 * body reopens them, so each body is well-formed markdown on its own (Atlantis does the same).
 *
 * Lengths are JavaScript string lengths (UTF-16 code units), never fewer than the characters GitHub counts.
 */

export interface SplitOptions {
  /** Largest body, in characters. */
  limit: number;
  /** Start of body 1 (marker, summary): never cut unless it alone exceeds the limit. */
  head: string;
  /** End of the last body (e.g. the next steps). */
  tail?: string;
  /** At most this many bodies; the details that do not fit are dropped with {@link truncationNote}. */
  maxBodies?: number;
  /** First lines of body `part` (2..total): its marker and "continued from the previous comment". */
  continuationHeader: (part: number, total: number) => string;
  /** Last line of every body but the last. */
  continuedNote: (nextPart: number, total: number) => string;
  /**
   * Stands in for the details that were dropped: `blocksShown` blocks were shown whole, and
   * `cutInsideBlock` tells whether the next one was shown in part. Called with
   * `{ blocksShown: 0, cutInsideBlock: true }` to measure the longest note, so it must not be longer
   * for any other argument.
   */
  truncationNote: (progress: TruncationProgress) => string;
  /**
   * Build only the first this many bodies (default: all). The split, and so every part number and
   * note, is still that of the whole text; the later bodies are measured but their text is never
   * put together (the CLI prints body 1 only).
   */
  keepBodies?: number;
}

export interface TruncationProgress {
  blocksShown: number;
  cutInsideBlock: boolean;
}

/** The progress that gives the longest truncation note (used to reserve room for it). */
const LONGEST_NOTE: TruncationProgress = { blocksShown: 0, cutInsideBlock: true };

interface FenceState {
  opener: string;
  char: string;
  length: number;
}

interface State {
  fence: FenceState | undefined;
  details: string[];
}

const FENCE_OPEN = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})/;
const DETAILS_OPEN = /^<details[\s>]/i;
const DETAILS_CLOSE = /^<\/details>/i;
/** A piece of a hard-cut line is never shorter than this: below it, moving to a new body is better. */
const MIN_PIECE = 80;
/**
 * A line that opens a `<details>` or a fence needs this much room after it, or it moves to the next
 * body: a cut right after an opener would leave an empty element behind.
 */
const KEEP_WITH_NEXT = 200;

function opens(before: State, after: State): boolean {
  return after.details.length > before.details.length || (before.fence === undefined && after.fence !== undefined);
}

function step(state: State, line: string): State {
  if (state.fence) {
    const { char, length } = state.fence;
    let i = 0;
    while (i < 3 && line[i] === ' ') i++;
    let run = 0;
    while (line[i + run] === char) run++;
    if (run >= length && line.slice(i + run).trim() === '') return { fence: undefined, details: state.details };
    return state;
  }
  const fence = FENCE_OPEN.exec(line);
  if (fence) {
    const marks = fence[1] as string;
    return { fence: { opener: line, char: marks[0] as string, length: marks.length }, details: state.details };
  }
  if (DETAILS_OPEN.test(line)) return { fence: undefined, details: [...state.details, line] };
  if (DETAILS_CLOSE.test(line) && state.details.length > 0) return { fence: undefined, details: state.details.slice(0, -1) };
  return state;
}

const DETAILS_CLOSER = '</details>\n';

/** Length of {@link closing}, without building it (checked for every line). */
function closingLength(state: State): number {
  const fence = state.fence ? state.fence.length + 1 : 0;
  return state.details.length > 0 ? fence + 1 + DETAILS_CLOSER.length * state.details.length : fence;
}

/** What closes everything open, in order: the fence, then the `<details>` from the innermost out. */
function closing(state: State): string {
  let text = state.fence ? `${state.fence.char.repeat(state.fence.length)}\n` : '';
  if (state.details.length > 0) text += '\n' + DETAILS_CLOSER.repeat(state.details.length);
  return text;
}

function continuedSummary(opener: string): string {
  return opener.includes('</summary>') ? opener.replace('</summary>', ' (continued)</summary>') : opener;
}

/** What reopens, at the top of the next body, everything a cut closed. */
function reopening(state: State): string {
  let text = '';
  for (const opener of state.details) text += `${continuedSummary(opener)}\n\n`;
  if (state.fence) text += `${state.fence.opener}\n`;
  return text;
}

/** Cut `line` to at most `room` code units without splitting a surrogate pair. */
function cutLine(line: string, room: number): [string, string] {
  let at = room;
  const code = line.charCodeAt(at - 1);
  if (code >= 0xd800 && code <= 0xdbff) at--;
  return [line.slice(0, at), line.slice(at)];
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

interface Draft {
  /** Everything after the continuation header and before the continued note / tail; '' for a body not kept. */
  content: string;
}

/** Lines of the details, pulled block by block: blocks after a truncation are never produced. */
class LineSource {
  private readonly blocks: Iterator<string>;
  private lines: string[] = [];
  private index = 0;
  /** Blocks pulled so far. */
  pulled = 0;

  constructor(details: Iterable<string>) {
    this.blocks = details[Symbol.iterator]();
  }

  /** The next line, or undefined at the end; does not consume it. */
  peek(): string | undefined {
    while (this.index >= this.lines.length) {
      const next = this.blocks.next();
      if (next.done) return undefined;
      this.pulled++;
      this.lines = withNewline(next.value).slice(0, -1).split('\n');
      this.index = 0;
    }
    return this.lines[this.index];
  }

  consume(): void {
    this.index++;
  }

  /** Replaces the current line with what is left of it after a hard cut. */
  replace(rest: string): void {
    this.lines[this.index] = rest;
  }

  progress(): TruncationProgress {
    const insideBlock = this.index > 0 && this.index < this.lines.length;
    const current = this.index < this.lines.length ? 1 : 0;
    return { blocksShown: this.pulled - current, cutInsideBlock: insideBlock };
  }
}

function splitOnce(details: () => Iterable<string>, options: SplitOptions, digits: number): Draft[] {
  const { limit } = options;
  const maxBodies = options.maxBodies ?? Number.POSITIVE_INFINITY;
  const wide = Number('9'.repeat(digits));
  const tail = withNewline(options.tail ?? '');
  const headerLength = withNewline(options.continuationHeader(wide, wide)).length;
  const noteLength = withNewline(options.continuedNote(wide, wide)).length;
  const truncationLength = withNewline(options.truncationNote(LONGEST_NOTE)).length;
  // Room kept free in every body for whichever ending it gets.
  const reserve = Math.max(noteLength, truncationLength + tail.length, tail.length);

  const keepBodies = options.keepBodies ?? Number.POSITIVE_INFINITY;
  const source = new LineSource(details());
  const drafts: Draft[] = [];
  let state: State = { fence: undefined, details: [] };
  let parts: string[] = [];
  /** Whether the body being filled is kept: the text of the others is measured, never collected. */
  let keeping = keepBodies > 0;
  let used = withNewline(options.head).length; // body 1 starts with the head
  let hasContent = false;
  let truncated = false;

  for (let line = source.peek(); line !== undefined; line = source.peek()) {
    const next = step(state, line);
    const cost = line.length + 1;
    const needed = used + cost + closingLength(next) + reserve;
    const fits = needed <= limit && (!hasContent || !opens(state, next) || needed + KEEP_WITH_NEXT <= limit);
    if (fits) {
      if (keeping) parts.push(line, '\n');
      used += cost;
      state = next;
      hasContent = true;
      source.consume();
      continue;
    }
    if (!hasContent) {
      // Even a body holding nothing else cannot take this line: cut the line itself.
      const room = limit - used - closingLength(state) - reserve - 1;
      if (room >= MIN_PIECE || (room > 0 && drafts.length > 0)) {
        const [piece, rest] = cutLine(line, room);
        if (keeping) parts.push(piece, '\n');
        used += piece.length + 1;
        hasContent = true;
        source.replace(rest);
        continue;
      }
      if (drafts.length > 0) throw new Error(`split limit ${limit} is too small for the continuation header`);
      // Body 1's head leaves no room for details at all.
      truncated = true;
      break;
    }
    parts.push(closing(state));
    drafts.push({ content: keeping ? parts.join('') : '' });
    if (drafts.length >= maxBodies) {
      truncated = true;
      break;
    }
    keeping = drafts.length < keepBodies;
    const reopen = reopening(state);
    parts = keeping ? [reopen] : [];
    used = headerLength + reopen.length;
    hasContent = false;
  }

  const note = truncated ? withNewline(options.truncationNote(source.progress())) : '';
  if (truncated && drafts.length >= maxBodies) {
    // The last allowed body is already closed; its reserve holds the truncation note.
    if (drafts.length <= keepBodies) (drafts[drafts.length - 1] as Draft).content += note;
  } else {
    parts.push(closing(state), note);
    drafts.push({ content: keeping ? parts.join('') : '' });
  }
  return drafts;
}

/** Cuts an oversized head at a line boundary, so that even then body 1 fits. */
function fitHead(options: SplitOptions): string {
  const head = withNewline(options.head);
  const tail = withNewline(options.tail ?? '');
  const detailsNote = withNewline(options.truncationNote(LONGEST_NOTE));
  const budget = options.limit - tail.length - detailsNote.length;
  const headNote = (omitted: number): string => `\n_${omitted} more summary lines do not fit here._\n`;
  if (head.length + headNote(0).length <= budget) return head;
  const lines = head.split('\n');
  let kept = '';
  let count = 0;
  for (const line of lines) {
    if (kept.length + line.length + 1 + headNote(lines.length).length > budget) break;
    kept += `${line}\n`;
    count++;
  }
  return kept + headNote(lines.length - count) + detailsNote;
}

/**
 * Splits the details after `options.head` into bodies of at most `options.limit` characters.
 * Body 1 = head + details...; bodies 2..N = continuation header + reopened context + details...;
 * bodies 1..N-1 end with the continued note, the last with the tail.
 *
 * `details` is markdown, or a function returning its blocks (each a run of whole lines): blocks are
 * pulled only while they can still be shown, so a huge plan's dropped details are never rendered.
 * The function may be called more than once.
 */
export function splitBodies(details: string | (() => Iterable<string>), options: SplitOptions): string[] {
  const head = fitHead(options);
  if (head !== withNewline(options.head)) {
    // The summary alone exceeds a body: no details at all, and the head says what was cut.
    return [head + withNewline(options.tail ?? '')].slice(0, options.keepBodies);
  }
  const blocks = typeof details === 'string' ? () => (details === '' ? [] : [details]) : details;
  // Start with as many digits as the largest allowed part number: one pass in the usual case.
  const maxBodies = options.maxBodies ?? Number.POSITIVE_INFINITY;
  for (let digits = Number.isFinite(maxBodies) ? String(maxBodies).length : 1; ; digits++) {
    const drafts = splitOnce(blocks, { ...options, head }, digits);
    const total = drafts.length;
    if (String(total).length > digits) continue;
    return drafts.slice(0, options.keepBodies ?? total).map((draft, i) => {
      const part = i + 1;
      const start = part === 1 ? head : withNewline(options.continuationHeader(part, total));
      const end = part < total ? withNewline(options.continuedNote(part + 1, total)) : withNewline(options.tail ?? '');
      return start + draft.content + end;
    });
  }
}
