/**
 * Analyse a plan file without holding the plan: the file is read in chunks into one reusable buffer,
 * scanned (scan-plan-json.ts), and each entry of `resource_changes` / `resource_drift` is parsed on its
 * own, handed to the {@link PlanAnalyzer} and dropped; only the top-level fields the analysis reads
 * (PLAN_REST_FIELDS) are parsed whole, and the big sections it never reads (prior_state,
 * planned_values, configuration, ...) are only validated. A change's header and diff text re-read its
 * bytes when they are rendered, so a 10,000-change plan keeps 10,000 small records, not 10,000 parsed
 * objects.
 *
 * Anything unusual (invalid JSON, not a plan, a repeated top-level key) makes the reader parse the
 * whole file the slow way (parsePlanJson + analyzePlan): its errors name the file, the line and the
 * column, exactly as before, and odd but valid input gets exactly the in-memory result.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { PlanAnalysis, ResourceChangeAnalysis } from './analysis.js';
import { analyzePlan, type AnalyzePlanOptions, type KeepChange, PLAN_REST_FIELDS, PlanAnalyzer, type RawChangeStore } from './analyze-plan.js';
import { decodePlanText, parsePlanJson, PlanInputError, type RawPlan, type RawResourceChange, validateChangeEntry, validatePlanShape } from './plan-model.js';
import { type MemberMode, PlanJsonScanner, type PlanScanHandler, PlanStreamStop } from './scan-plan-json.js';

export interface AnalyzePlanFileOptions<C = ResourceChangeAnalysis> extends AnalyzePlanOptions<C> {
  /** Bytes read at a time (default 64 KiB); tests use a few bytes to cut every token somewhere. */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 64 * 1024;

/** Lists whose entries are parsed and analysed one at a time. */
const STREAMED_LISTS = new Set(['resource_changes', 'resource_drift']);
/** Top-level fields parsed whole: what the analysis and the shape check read. */
const PARSED_FIELDS = new Set<string>(PLAN_REST_FIELDS);
/** `{"5": ...}` would come first in Object.keys of the parsed plan: leave such plans to the full parser. */
const ARRAY_INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** Where the plan's bytes can be read again, after the scan: one entry at a time, for its diff. */
interface PlanBytes {
  text(start: number, end: number): string;
}

/**
 * Where each change list entry lies in the bytes (entry `ref` spans [starts[ref], ends[ref])): the
 * entries stay on disk (or in the input buffer) until their text is rendered, at 16 bytes each.
 */
class EntrySpans implements RawChangeStore {
  private starts = new Float64Array(1024);
  private ends = new Float64Array(1024);
  private count = 0;

  constructor(private readonly bytes: PlanBytes) {}

  add(start: number, end: number): number {
    if (this.count === this.starts.length) {
      const starts = new Float64Array(this.count * 2);
      const ends = new Float64Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    return this.count++;
  }

  /** A change's fields, header, diff and reasons are read one after another: the last entry parsed is kept. */
  private lastRef = -1;
  private last: RawResourceChange | undefined;

  loadRawChange(ref: number): RawResourceChange {
    if (ref !== this.lastRef || this.last === undefined) {
      this.last = JSON.parse(this.bytes.text(this.starts[ref] as number, this.ends[ref] as number)) as RawResourceChange;
      this.lastRef = ref;
    }
    return this.last;
  }
}

class BufferBytes implements PlanBytes {
  constructor(private readonly bytes: Buffer) {}

  text(start: number, end: number): string {
    return this.bytes.toString('utf8', start, end);
  }
}

/**
 * A regular file, opened again when entries are read again; a file rewritten since the scan is an
 * error. Entries are read in bursts (a comment is rendered in one go): the file stays open for the
 * burst and is closed on the next turn of the event loop.
 */
class FileBytes implements PlanBytes {
  private fd: number | undefined;

  constructor(
    private readonly file: string,
    private readonly size: number,
    private readonly mtimeMs: number,
  ) {}

  text(start: number, end: number): string {
    const fd = this.open();
    const bytes = Buffer.allocUnsafe(end - start);
    for (let got = 0; got < bytes.length; ) {
      const n = readSync(fd, bytes, got, bytes.length - got, start + got);
      if (n === 0) throw this.changed();
      got += n;
    }
    return bytes.toString('utf8');
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = openSync(this.file, 'r');
    try {
      const stat = fstatSync(fd);
      if (stat.size !== this.size || stat.mtimeMs !== this.mtimeMs) throw this.changed();
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
    setImmediate(() => {
      this.fd = undefined;
      closeSync(fd);
    }).unref();
    return fd;
  }

  private changed(): PlanInputError {
    return new PlanInputError(this.file, 'the file changed while infra-review was reading it; run the command again');
  }
}

/** The bytes scanned last: `buf[i]` is at absolute offset `base + i`. */
interface ScanWindow {
  buf: Buffer;
  base: number;
}

/** Receives the scanner's spans: parses what the analysis reads, feeds the analyser, builds the top level. */
class PlanCollector<C> implements PlanScanHandler {
  readonly keys: string[] = [];
  private readonly seen = new Set<string>();
  /** The top level with the parsed fields; other keys present as `true`, streamed lists as []. */
  readonly top: Record<string, unknown> = {};
  readonly analyzer: PlanAnalyzer<C>;
  private readonly spans: EntrySpans;

  constructor(
    private readonly file: string,
    options: AnalyzePlanOptions<C>,
    private readonly window: ScanWindow,
    bytes: PlanBytes,
  ) {
    this.analyzer = new PlanAnalyzer<C>(options);
    this.spans = new EntrySpans(bytes);
  }

  private text(start: number, end: number): string {
    return this.window.buf.toString('utf8', start - this.window.base, end - this.window.base);
  }

  onKey(key: string): MemberMode {
    // JSON.parse keeps the last of repeated keys; the full parser deals with such files.
    if (this.seen.has(key) || key === '__proto__' || ARRAY_INDEX_KEY.test(key)) throw new PlanStreamStop(`top-level key "${key}" needs the full parser`);
    this.seen.add(key);
    this.keys.push(key);
    if (STREAMED_LISTS.has(key)) {
      this.top[key] = [];
      return 'split';
    }
    if (PARSED_FIELDS.has(key)) {
      this.top[key] = undefined;
      return 'parse';
    }
    this.top[key] = true;
    return 'skip';
  }

  onValue(key: string, start: number, end: number): void {
    this.top[key] = JSON.parse(this.text(start, end));
  }

  onElement(key: string, index: number, start: number, end: number): void {
    const entry = validateChangeEntry(JSON.parse(this.text(start, end)), key, index, this.file);
    const ref = this.spans.add(start, end);
    if (key === 'resource_changes') this.analyzer.addResourceChange(entry, this.spans, ref);
    else this.analyzer.addDrift(entry, this.spans, ref);
  }

  finish(scanner: PlanJsonScanner): PlanAnalysis<C> {
    if (!scanner.topLevelIsObject) throw new PlanStreamStop('the top level is not an object');
    return this.analyzer.finish(validatePlanShape(this.top, this.file), this.keys);
  }
}

/** The streaming path gave up: the input is invalid or unusual, and the full parser will say how. */
function isStreamStop(error: unknown): boolean {
  return error instanceof PlanStreamStop || error instanceof PlanInputError || error instanceof SyntaxError || error instanceof RangeError;
}

function utf16Bom(bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

function utf8BomLength(bytes: Buffer): number {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

function streamBuffer<C>(bytes: Buffer, start: number, file: string, options: AnalyzePlanOptions<C>): PlanAnalysis<C> {
  const window: ScanWindow = { buf: bytes, base: 0 };
  const collector = new PlanCollector<C>(file, options, window, new BufferBytes(bytes));
  const scanner = new PlanJsonScanner(collector);
  scanner.scan(bytes, start, bytes.length, 0);
  scanner.finish(bytes.length);
  return collector.finish(scanner);
}

function streamFile<C>(fd: number, start: number, bytes: FileBytes, file: string, options: AnalyzePlanFileOptions<C>): PlanAnalysis<C> {
  const window: ScanWindow = { buf: Buffer.allocUnsafe(Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE)), base: start };
  const collector = new PlanCollector<C>(file, options, window, bytes);
  const scanner = new PlanJsonScanner(collector);
  let filled = 0;
  for (;;) {
    if (filled === window.buf.length) {
      // Keep only what the scanner still needs (an unfinished key or entry), at the front.
      const keep = scanner.retainFrom;
      const from = keep < 0 ? filled : keep - window.base;
      const kept = filled - from;
      if (kept * 2 > window.buf.length) {
        const bigger = Buffer.allocUnsafe(window.buf.length * 2);
        window.buf.copy(bigger, 0, from, filled);
        window.buf = bigger;
      } else {
        window.buf.copyWithin(0, from, filled);
      }
      window.base += from;
      filled = kept;
    }
    const n = readSync(fd, window.buf, filled, window.buf.length - filled, window.base + filled);
    if (n === 0) break;
    scanner.scan(window.buf, filled, filled + n, window.base);
    filled += n;
  }
  scanner.finish(window.base + filled);
  return collector.finish(scanner);
}

function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.allocUnsafe(DEFAULT_CHUNK_SIZE);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}

/** The streaming path only: UTF-8 (a BOM is skipped) or UTF-16 with a BOM (transcoded first). */
export function streamPlanBytes<C = ResourceChangeAnalysis>(bytes: Buffer, file: string, options: AnalyzePlanOptions<C> = {}): PlanAnalysis<C> {
  if (utf16Bom(bytes)) return streamBuffer(Buffer.from(decodePlanText(bytes), 'utf8'), 0, file, options);
  return streamBuffer(bytes, utf8BomLength(bytes), file, options);
}

/**
 * The streaming path only, over a regular UTF-8 file: throws {@link PlanStreamStop}, SyntaxError or
 * PlanInputError where {@link analyzePlanFile} falls back to the full parser. For tests and callers
 * that must know the plan was streamed.
 */
export function streamPlanFile<C = ResourceChangeAnalysis>(file: string, options: AnalyzePlanFileOptions<C> = {}): PlanAnalysis<C> {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new PlanStreamStop('not a regular file');
    const head = Buffer.alloc(3);
    const headLength = readSync(fd, head, 0, 3, 0);
    if (utf16Bom(head.subarray(0, headLength))) throw new PlanStreamStop('UTF-16 is decoded in memory');
    return streamFile(fd, utf8BomLength(head.subarray(0, headLength)), new FileBytes(file, stat.size, stat.mtimeMs), file, options);
  } finally {
    closeSync(fd);
  }
}

/**
 * The analysis of plan bytes already in memory (a pipe, or a UTF-16 file): the same streaming analysis
 * over the buffer, so no parsed plan is held. Throws PlanInputError on bad input.
 */
export function analyzePlanBytes<C = ResourceChangeAnalysis>(bytes: Buffer, file: string, options: AnalyzePlanOptions<C> = {}): PlanAnalysis<C> {
  try {
    return streamPlanBytes(bytes, file, options);
  } catch (error) {
    if (!isStreamStop(error)) throw error;
  }
  return analyzeParsed(parsePlanJson(bytes, file), options);
}

/** The full parser's path, keeping of each change what `options` asks for. */
function analyzeParsed<C>(plan: RawPlan, options: AnalyzePlanOptions<C>): PlanAnalysis<C> {
  // Without keepChange, C is the default (the change itself), as PlanAnalyzer assumes.
  return analyzePlan(plan, options as AnalyzePlanOptions<C> & { keepChange: KeepChange<C> });
}

/**
 * The analysis of the plan file `file` (`terraform show -json` output), streamed. Throws PlanInputError
 * on bad input (with line and column for invalid JSON) and the file system's error when the file
 * cannot be read. Header and diff text of the changes re-read the file when first rendered.
 */
export function analyzePlanFile<C = ResourceChangeAnalysis>(file: string, options: AnalyzePlanFileOptions<C> = {}): PlanAnalysis<C> {
  const fd = openSync(file, 'r');
  try {
    // A pipe or a device cannot be read twice: hold its bytes (and nothing parsed from them).
    if (!fstatSync(fd).isFile()) return analyzePlanBytes(readAll(fd), file, options);
  } finally {
    closeSync(fd);
  }
  try {
    return streamPlanFile(file, options);
  } catch (error) {
    if (!isStreamStop(error)) throw error;
  }
  const bytes = readFileSync(file);
  // UTF-16 (PowerShell's `>`) is streamed from memory, transcoded; anything else is invalid or
  // unusual: the full parser locates the error or gives exactly the in-memory result.
  if (utf16Bom(bytes)) return analyzePlanBytes(bytes, file, options);
  return analyzeParsed(parsePlanJson(bytes, file), options);
}
