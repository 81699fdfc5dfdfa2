/**
 * Find where a JSON text first goes wrong. Only called after JSON.parse has failed: V8's message
 * quotes the input (which may hold secrets) and differs between Node versions, so we scan the text
 * ourselves and describe the problem without echoing any of it.
 */
export interface JsonErrorLocation {
  offset: number;
  message: string;
  /** The text ended while a value was still open: most likely a truncated file. */
  truncated: boolean;
}

class JsonScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly truncated: boolean,
  ) {
    super(message);
  }
}

export function locateJsonError(text: string): JsonErrorLocation {
  const scanner = new Scanner(text);
  try {
    scanner.skipWhitespace();
    scanner.value(0);
    scanner.skipWhitespace();
    if (scanner.pos < text.length) scanner.fail('unexpected content after the end of the JSON value');
    // JSON.parse disagreed with us; still give a position rather than nothing.
    return { offset: 0, message: 'the JSON could not be parsed', truncated: false };
  } catch (error) {
    if (error instanceof JsonScanError) return { offset: error.offset, message: error.message, truncated: error.truncated };
    if (error instanceof RangeError) return { offset: scanner.pos, message: 'the JSON is nested too deeply', truncated: false };
    throw error;
  }
}

const MAX_DEPTH = 10_000;

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string): never {
    const truncated = this.pos >= this.text.length;
    throw new JsonScanError(this.pos, truncated ? 'unexpected end of the file' : message, truncated);
  }

  skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private describeHere(): string {
    const c = this.text[this.pos];
    if (c === undefined) return 'the end of the file';
    // Name only structural characters; anything else could be the start of a secret.
    return /[{}[\]:,"]/.test(c) ? `'${c}'` : 'an unexpected character';
  }

  value(depth: number): void {
    if (depth > MAX_DEPTH) this.fail('the JSON is nested too deeply');
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true');
    if (c === 'f') return this.literal('false');
    if (c === 'n') return this.literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    this.fail(`expected a value but found ${this.describeHere()}`);
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.text[this.pos] !== word[i]) this.fail(`expected a value but found ${this.describeHere()}`);
      this.pos++;
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!match || match[0] === '-') {
      if (match) this.pos += match[0].length;
      this.fail('invalid number');
    }
    this.pos += match[0].length;
    // "1." or "1e" at the very end: truncated mid-number
    const next = this.text[this.pos];
    if (next === '.' || next === 'e' || next === 'E') {
      this.pos++;
      this.fail('invalid number');
    }
  }

  private string(): void {
    const t = this.text;
    this.pos++; // opening quote
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return;
      }
      if (c === 0x5c) {
        const e = t[this.pos + 1];
        if (e === undefined) {
          this.pos++;
          this.fail('unterminated string');
        }
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(t.slice(this.pos + 2, this.pos + 6))) {
            this.pos += 2;
            if (this.pos + 4 > t.length) this.pos = t.length;
            this.fail('invalid \\u escape in a string');
          }
          this.pos += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) {
          this.pos++;
          this.fail('invalid escape in a string');
        }
        this.pos += 2;
        continue;
      }
      if (c < 0x20) this.fail('control character (such as a raw newline) inside a string');
      this.pos++;
    }
    this.fail('unterminated string');
  }

  private object(depth: number): void {
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail(`expected a property name in double quotes but found ${this.describeHere()}`);
      this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after a property name but found ${this.describeHere()}`);
      this.pos++;
      this.value(depth + 1);
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return;
      }
      this.fail(`expected ',' or '}' after a property value but found ${this.describeHere()}`);
    }
  }

  private array(depth: number): void {
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value(depth + 1);
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return;
      }
      this.fail(`expected ',' or ']' after a list element but found ${this.describeHere()}`);
    }
  }
}
