/**
 * A streaming, validating JSON scanner for `terraform show -json` output. It reads the bytes once, in
 * chunks of any size, checks them against JSON's grammar exactly as JSON.parse does (strings, escapes,
 * numbers, literals, nesting, nothing after the top-level value), and reports WHERE things are, as
 * absolute byte offsets: each top-level key, the value of each top-level member, and each element of
 * the top-level lists the caller splits (`resource_changes`, `resource_drift`). It never builds a value:
 * the caller JSON.parses the slices it wants and skips the rest (prior_state, configuration, ...).
 *
 * It does not say where or why the text is wrong: on any error it throws {@link PlanStreamStop} and the
 * caller reads the file the slow way, whose errors name the line and column (plan-model.ts).
 *
 * Every method of {@link PlanJsonScanner} that runs per byte or per token is named `scan*`: the CLI
 * lets V8's optimising compiler work on those functions only (SCANNER_FUNCTIONS, cli/v8-tuning.ts).
 */

/** A V8 function-name filter matching the scanner's per-byte methods (all named `scan*`). */
export const SCANNER_FUNCTIONS = 'scan*';

/** The streaming path cannot go on (invalid or unusual input): fall back to parsing the whole file. */
export class PlanStreamStop extends Error {
  constructor(
    message: string,
    /** Absolute byte offset where the scanner stopped (for tests; users see the full parser's message). */
    readonly offset = -1,
  ) {
    super(message);
    this.name = 'PlanStreamStop';
  }
}

/** What the caller does with a top-level member's value. */
export type MemberMode =
  /** JSON.parse it whole: `onValue` reports its span. */
  | 'parse'
  /** A list whose elements are parsed one by one: `onElement` per element (a non-list value goes to `onValue`). */
  | 'split'
  /** Validate it, nothing more. */
  | 'skip';

export interface PlanScanHandler {
  /** A top-level key, decoded; returns what to do with its value. */
  onKey(key: string): MemberMode;
  /** The value of a `parse` member (or a `split` member that is not a list): bytes [start, end). */
  onValue(key: string, start: number, end: number): void;
  /** Element `index` of a `split` list: bytes [start, end). */
  onElement(key: string, index: number, start: number, end: number): void;
}

// Scanner states.
const S_VALUE = 0; // a value is expected
const S_AFTER_VALUE = 1; // a value ended inside a container: ',' or the closing bracket
const S_OBJECT_FIRST = 2; // after '{': a key or '}'
const S_OBJECT_KEY = 3; // after ',' in an object: a key
const S_COLON = 4; // after a key: ':'
const S_ARRAY_FIRST = 5; // after '[': a value or ']'
const S_STRING = 6;
const S_ESCAPE = 7; // after a backslash
const S_UNICODE = 8; // inside \uXXXX
const S_MINUS = 9; // after '-'
const S_ZERO = 10; // a number that is '0' or '-0' so far
const S_INT = 11; // integer digits
const S_DOT = 12; // after '.'
const S_FRACTION = 13; // fraction digits
const S_E = 14; // after 'e' / 'E'
const S_E_SIGN = 15; // after the exponent's sign
const S_EXPONENT = 16; // exponent digits
const S_LITERAL = 17; // inside true / false / null
const S_DONE = 18; // the top-level value is complete: only whitespace may follow
/**
 * Inside an object or list that the caller will JSON.parse whole (an entry of a split list, a parsed
 * member): JSON.parse checks its grammar, so only strings and brackets are followed, to find its end.
 */
const S_SPAN = 19;

const OBJECT = 1;
const ARRAY = 2;

const LITERALS: Record<number, number[]> = {
  0x74: [0x74, 0x72, 0x75, 0x65], // true
  0x66: [0x66, 0x61, 0x6c, 0x73, 0x65], // false
  0x6e: [0x6e, 0x75, 0x6c, 0x6c], // null
};

/** Bytes allowed after a backslash: " \ / b f n r t (u is handled apart). */
const SIMPLE_ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPES[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Index of the quote that closes a string whose content starts at `start`, searching from `from`
 * (bytes from `start` on are in `buf`); -1 if it is not before `to`. A quote after an odd run of
 * backslashes is escaped. Short strings (most keys) are cheaper to walk than to search natively.
 */
function scanClosingQuote(buf: Buffer, from: number, to: number, start: number): number {
  let i = from;
  for (const near = Math.min(to, from + 16); i < near; i++) {
    const c = buf[i] as number;
    if (c === 0x22) {
      if (!scanEscapedAt(buf, i, start)) return i;
    }
  }
  while (i < to) {
    const quote = buf.indexOf(0x22, i);
    // The buffer may hold older bytes after `to`.
    if (quote < 0 || quote >= to) return -1;
    if (!scanEscapedAt(buf, quote, start)) return quote;
    i = quote + 1;
  }
  return -1;
}

/** The byte at `at` follows an odd number of backslashes (counted back to `start`). */
function scanEscapedAt(buf: Buffer, at: number, start: number): boolean {
  let k = at - 1;
  while (k >= start && buf[k] === 0x5c) k--;
  return ((at - 1 - k) & 1) === 1;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class PlanJsonScanner {
  private state = S_VALUE;
  private stack = new Uint8Array(64);
  private depth = 0;
  /** For S_LITERAL: the expected bytes and how many matched. */
  private literal: number[] = [];
  private literalAt = 0;
  private unicodeLeft = 0;
  /** The string being scanned is an object key. */
  private inKey = false;

  // Top-level bookkeeping (depth 1 = members of the top-level object, depth 2 = elements of a split list).
  private topIsObject = false;
  private key = '';
  private mode: MemberMode = 'skip';
  private keyStart = -1;
  private memberStart = -1;
  private splitting = false;
  private elementStart = -1;
  private elementIndex = 0;

  // S_SPAN: brackets open in the span, and where a string in it started (absolute, -1: not in a string).
  private spanDepth = 0;
  private spanString = -1;

  constructor(private readonly handler: PlanScanHandler) {}

  /**
   * The first absolute offset the caller must still hold in the buffer at the next {@link scan} call
   * (the start of a key or of a value it will be handed), or -1 when nothing before the next byte is needed.
   */
  get retainFrom(): number {
    if (this.keyStart >= 0) return this.keyStart;
    if (this.elementStart >= 0) return this.elementStart;
    if (this.memberStart >= 0 && this.mode !== 'skip' && !this.splitting) return this.memberStart;
    return -1;
  }

  private fail(message: string, offset: number): never {
    throw new PlanStreamStop(message, offset);
  }

  private scanPush(kind: number): void {
    if (this.depth === this.stack.length) {
      const bigger = new Uint8Array(this.stack.length * 2);
      bigger.set(this.stack);
      this.stack = bigger;
    }
    this.stack[this.depth++] = kind;
  }

  /**
   * A value begins at `at` (absolute), inside `this.depth` open containers. Returns whether the caller
   * will be handed its bytes to JSON.parse whole.
   */
  private scanValueStarts(at: number, opensList: boolean): boolean {
    if (this.depth === 1 && this.topIsObject) {
      this.memberStart = at;
      this.splitting = this.mode === 'split' && opensList;
      return this.mode !== 'skip' && !this.splitting;
    }
    if (this.depth === 2 && this.splitting) {
      this.elementStart = at;
      return true;
    }
    return false;
  }

  /** An object or list that will be parsed whole starts: follow only its strings and brackets. */
  private scanStartSpan(): void {
    this.state = S_SPAN;
    this.spanDepth = 1;
    this.spanString = -1;
  }

  /**
   * Inside a span: strings and brackets, up to the bracket that closes it. The span's bytes are
   * retained, so a closing quote is recognised by counting the backslashes before it.
   */
  private scanSpan(buf: Buffer, from: number, to: number, base: number): number {
    let depth = this.spanDepth;
    let i = from;
    if (this.spanString >= 0) {
      const quote = scanClosingQuote(buf, i, to, this.spanString - base);
      if (quote < 0) return to;
      this.spanString = -1;
      i = quote + 1;
    }
    for (; i < to; i++) {
      const c = buf[i] as number;
      if (c === 0x22) {
        const quote = scanClosingQuote(buf, i + 1, to, i + 1);
        if (quote < 0) {
          this.spanString = base + i + 1;
          this.spanDepth = depth;
          return to;
        }
        i = quote;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
      } else if ((c === 0x7d || c === 0x5d) && --depth === 0) {
        this.spanDepth = 0;
        this.scanValueEnds(base + i + 1);
        return i + 1;
      }
    }
    this.spanDepth = depth;
    return to;
  }

  /** The value that began at depth `this.depth` ended just before `end` (absolute). */
  private scanValueEnds(end: number): void {
    if (this.depth === 0) {
      this.state = S_DONE;
      return;
    }
    this.state = S_AFTER_VALUE;
    if (!this.topIsObject) return;
    if (this.depth === 1) {
      if (this.mode !== 'skip' && !this.splitting) this.handler.onValue(this.key, this.memberStart, end);
      this.memberStart = -1;
      this.splitting = false;
    } else if (this.depth === 2 && this.splitting) {
      this.handler.onElement(this.key, this.elementIndex++, this.elementStart, end);
      this.elementStart = -1;
    }
  }

  /** A string ended at `end` (absolute, after the closing quote). */
  private scanStringEnds(buf: Buffer, base: number, end: number): void {
    if (this.inKey) {
      this.inKey = false;
      this.state = S_COLON;
      if (this.depth === 1 && this.topIsObject) {
        // JSON.parse decodes the escapes exactly as the full parser would.
        this.key = JSON.parse(buf.toString('utf8', this.keyStart - base, end - base)) as string;
        this.keyStart = -1;
        this.mode = this.handler.onKey(this.key);
        this.elementIndex = 0;
      }
      return;
    }
    this.scanValueEnds(end);
  }

  /**
   * Scan `buf[from, to)`; `buf[i]` is at absolute offset `base + i`. Bytes from {@link retainFrom} on,
   * scanned in earlier calls, must still be in `buf` at the same absolute offsets.
   *
   * The work is split into small methods on purpose: one big switch costs TurboFan tens of
   * milliseconds and megabytes of memory to optimise, more than the scan itself. Keep the names of
   * those that run per byte or per token starting with `scan` ({@link SCANNER_FUNCTIONS}).
   */
  scan(buf: Buffer, from: number, to: number, base: number): void {
    let i = from;
    while (i < to) {
      const state = this.state;
      if (state === S_SPAN) i = this.scanSpan(buf, i, to, base);
      else if (state === S_STRING) i = this.scanString(buf, i, to, base);
      else if (state >= S_MINUS && state <= S_EXPONENT) i = this.scanNumber(buf, i, to, base);
      else i = this.scanToken(buf, i, base);
    }
  }

  /** Inside a string: up to the closing quote, a backslash or the end of the chunk. */
  private scanString(buf: Buffer, from: number, to: number, base: number): number {
    for (let i = from; i < to; i++) {
      const c = buf[i] as number;
      if (c === 0x22) {
        this.scanStringEnds(buf, base, base + i + 1);
        return i + 1;
      }
      if (c === 0x5c) {
        this.state = S_ESCAPE;
        return i + 1;
      }
      if (c < 0x20) this.fail('control character in a string', base + i);
    }
    return to;
  }

  /** Digits and the rest of a number; a byte that ends the number is left for {@link scanToken}. */
  private scanNumber(buf: Buffer, from: number, to: number, base: number): number {
    let i = from;
    let state = this.state;
    for (; i < to; i++) {
      const c = buf[i] as number;
      const digit = c >= 0x30 && c <= 0x39;
      if (state === S_INT || state === S_FRACTION || state === S_EXPONENT) {
        if (digit) continue;
        if (state !== S_EXPONENT && (c === 0x65 || c === 0x45)) state = S_E;
        else if (state === S_INT && c === 0x2e) state = S_DOT;
        else break;
      } else if (state === S_MINUS) {
        if (!digit) this.fail('invalid number', base + i);
        state = c === 0x30 ? S_ZERO : S_INT;
      } else if (state === S_ZERO) {
        if (c === 0x65 || c === 0x45) state = S_E;
        else if (c === 0x2e) state = S_DOT;
        else break;
      } else if (state === S_DOT) {
        if (!digit) this.fail('invalid number', base + i);
        state = S_FRACTION;
      } else if (state === S_E) {
        if (c === 0x2b || c === 0x2d) state = S_E_SIGN;
        else if (digit) state = S_EXPONENT;
        else this.fail('invalid number', base + i);
      } else {
        // S_E_SIGN
        if (!digit) this.fail('invalid number', base + i);
        state = S_EXPONENT;
      }
    }
    this.state = state;
    // The number ended before byte i, which is scanned again in the state after the value.
    if (i < to) this.scanValueEnds(base + i);
    return i;
  }

  /** One byte outside string content and numbers. */
  private scanToken(buf: Buffer, i: number, base: number): number {
    const c = buf[i] as number;
    switch (this.state) {
      case S_ESCAPE:
        if (c === 0x75) {
          this.state = S_UNICODE;
          this.unicodeLeft = 4;
        } else if (SIMPLE_ESCAPES[c] === 1) {
          this.state = S_STRING;
        } else {
          this.fail('invalid escape', base + i);
        }
        return i + 1;
      case S_UNICODE:
        if (!isHex(c)) this.fail('invalid \\u escape', base + i);
        if (--this.unicodeLeft === 0) this.state = S_STRING;
        return i + 1;
      case S_LITERAL:
        if (c !== this.literal[this.literalAt]) this.fail('invalid literal', base + i);
        if (++this.literalAt === this.literal.length) this.scanValueEnds(base + i + 1);
        return i + 1;
      default:
        if (!isWhitespace(c)) this.scanStructural(c, base + i);
        return i + 1;
    }
  }

  /** A byte that is not whitespace, where a value, a key or punctuation is expected. */
  private scanStructural(c: number, at: number): void {
    switch (this.state) {
      case S_AFTER_VALUE: {
        const container = this.stack[this.depth - 1];
        if (c === 0x2c) this.state = container === OBJECT ? S_OBJECT_KEY : S_VALUE;
        else if ((c === 0x7d && container === OBJECT) || (c === 0x5d && container === ARRAY)) this.scanClose(at);
        else this.fail("expected ',' or a closing bracket", at);
        return;
      }
      case S_OBJECT_FIRST:
      case S_OBJECT_KEY:
        if (c === 0x22) {
          this.inKey = true;
          if (this.depth === 1 && this.topIsObject) this.keyStart = at;
          this.state = S_STRING;
        } else if (c === 0x7d && this.state === S_OBJECT_FIRST) {
          this.scanClose(at);
        } else {
          this.fail('expected a property name', at);
        }
        return;
      case S_COLON:
        if (c !== 0x3a) this.fail("expected ':'", at);
        this.state = S_VALUE;
        return;
      case S_ARRAY_FIRST:
        if (c === 0x5d) this.scanClose(at);
        else this.scanValue(c, at);
        return;
      case S_VALUE:
        this.scanValue(c, at);
        return;
      case S_DONE:
        this.fail('content after the end of the JSON value', at);
        break;
      default:
        this.fail('scanner state', at);
    }
  }

  /** A closing bracket at `at`. */
  private scanClose(at: number): void {
    this.depth--;
    this.scanValueEnds(at + 1);
  }

  /** The first byte of a value, at `at`. */
  private scanValue(c: number, at: number): void {
    if (c === 0x7b) {
      if (this.depth === 0) this.topIsObject = true;
      else if (this.scanValueStarts(at, false)) return this.scanStartSpan();
      this.scanPush(OBJECT);
      this.state = S_OBJECT_FIRST;
      return;
    }
    if (c === 0x5b) {
      if (this.scanValueStarts(at, true)) return this.scanStartSpan();
      this.scanPush(ARRAY);
      this.state = S_ARRAY_FIRST;
      return;
    }
    this.scanValueStarts(at, false);
    if (c === 0x22) {
      this.inKey = false;
      this.state = S_STRING;
    } else if (c === 0x2d) {
      this.state = S_MINUS;
    } else if (c === 0x30) {
      this.state = S_ZERO;
    } else if (c >= 0x31 && c <= 0x39) {
      this.state = S_INT;
    } else if (LITERALS[c] !== undefined) {
      this.literal = LITERALS[c] as number[];
      this.literalAt = 1;
      this.state = S_LITERAL;
    } else {
      this.fail('expected a value', at);
    }
  }

  /** The input ended at absolute offset `end`. Throws {@link PlanStreamStop} if the JSON is incomplete or absent. */
  finish(end: number): void {
    const state = this.state;
    if ((state === S_INT || state === S_ZERO || state === S_FRACTION || state === S_EXPONENT) && this.depth === 0) {
      this.state = S_DONE; // a bare number as the whole document
      return;
    }
    if (state !== S_DONE) this.fail(this.depth === 0 && state === S_VALUE ? 'no JSON value' : 'the JSON is incomplete', end);
  }

  /** The top-level value is an object (known once its first byte was scanned). */
  get topLevelIsObject(): boolean {
    return this.topIsObject;
  }
}
