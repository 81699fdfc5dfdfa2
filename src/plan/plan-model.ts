/**
 * The raw shape of `terraform show -json PLANFILE` (and `tofu show -json`), format_version 0.1 to 1.2,
 * and the one entry point that turns bytes into it. Types are loose on purpose: every field a newer
 * Terraform adds is kept (index signatures) so it can be shown, never rejected.
 */
import { locateJsonError } from './locate-json-error.js';

/** A sensitivity or unknown mask: `true` for the whole value, or nested objects/arrays of the same. */
export type ValueMask = boolean | { [key: string]: ValueMask } | ValueMask[] | null | undefined;

export interface RawImporting {
  id?: string;
  identity?: unknown;
  unknown?: boolean;
  [key: string]: unknown;
}

export interface RawChange {
  actions: string[];
  before?: unknown;
  after?: unknown;
  after_unknown?: ValueMask;
  before_sensitive?: ValueMask;
  after_sensitive?: ValueMask;
  /** Paths (lists of keys and indexes) whose change forces the replacement. */
  replace_paths?: (string | number)[][];
  importing?: RawImporting | null;
  generated_config?: string;
  [key: string]: unknown;
}

export interface RawResourceChange {
  address: string;
  previous_address?: string;
  module_address?: string;
  mode?: 'managed' | 'data' | string;
  type?: string;
  name?: string;
  index?: string | number;
  provider_name?: string;
  deposed?: string;
  change: RawChange;
  action_reason?: string;
  [key: string]: unknown;
}

export interface RawOutputChange {
  actions: string[];
  before?: unknown;
  after?: unknown;
  after_unknown?: ValueMask;
  before_sensitive?: ValueMask;
  after_sensitive?: ValueMask;
  [key: string]: unknown;
}

export interface RawCheckResult {
  address?: { kind?: string; to_display?: string; [key: string]: unknown };
  status?: 'pass' | 'fail' | 'error' | 'unknown' | string;
  instances?: {
    address?: { to_display?: string; [key: string]: unknown };
    status?: string;
    problems?: { message?: string }[];
  }[];
  [key: string]: unknown;
}

export interface RawDeferredChange {
  reason?: string;
  resource_change?: RawResourceChange;
  [key: string]: unknown;
}

export interface RawResourceAttr {
  resource: string;
  attribute: (string | number)[];
}

export interface RawPlan {
  format_version: string;
  terraform_version?: string;
  variables?: Record<string, { value?: unknown }>;
  planned_values?: Record<string, unknown>;
  prior_state?: Record<string, unknown>;
  configuration?: Record<string, unknown>;
  resource_changes?: RawResourceChange[];
  resource_drift?: RawResourceChange[];
  output_changes?: Record<string, RawOutputChange>;
  relevant_attributes?: RawResourceAttr[];
  checks?: RawCheckResult[];
  /** Terraform 1.2-1.4 called the checks `condition_results`. */
  condition_results?: unknown;
  deferred_changes?: RawDeferredChange[];
  errored?: boolean;
  applyable?: boolean;
  complete?: boolean;
  timestamp?: string;
  [key: string]: unknown;
}

/** Bad input: not JSON, not a plan, truncated. The CLI maps it to exit status 2. */
export class PlanInputError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'PlanInputError';
  }

  /** "FILE:LINE:COLUMN: message", the form editors and CI logs link to. */
  override toString(): string {
    const where = this.line === undefined ? this.file : `${this.file}:${this.line}:${this.column ?? 1}`;
    return `${where}: ${this.message}`;
  }
}

/** Keys that only a plan has (a state file shares format_version but has `values`). */
const PLAN_KEYS = [
  'resource_changes',
  'planned_values',
  'output_changes',
  'resource_drift',
  'prior_state',
  'configuration',
  'errored',
  'applyable',
  'deferred_changes',
] as const;

/**
 * Parse the bytes of a `terraform show -json` plan. Accepts UTF-8 (with or without BOM) and UTF-16
 * LE/BE with a BOM (PowerShell's `>` writes UTF-16). Throws PlanInputError on anything else.
 * The returned object is the parsed JSON itself, validated in place: no copy is made.
 */
export function parsePlanJson(bytes: Buffer | string, file = 'plan.json'): RawPlan {
  const text = decodePlanText(bytes);
  if (!/\S/.test(text)) throw new PlanInputError(file, 'the file is empty; expected the output of `terraform show -json PLANFILE`');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // V8's own message quotes the input, which may hold secrets: locate the error ourselves.
    const located = locateJsonError(text);
    const { line, column } = lineAndColumn(text, located.offset);
    const message = located.truncated
      ? `the file ends before the JSON is complete (truncated?) at line ${line}, column ${column}: ${located.message}`
      : `not valid JSON at line ${line}, column ${column}: ${located.message}`;
    throw new PlanInputError(file, message, line, column);
  }
  return validatePlanShape(parsed, file);
}

/** Decode by byte-order mark; default UTF-8. */
export function decodePlanText(bytes: Buffer | string): string {
  if (typeof bytes === 'string') return bytes.charCodeAt(0) === 0xfeff ? bytes.slice(1) : bytes;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    // Node has no UTF-16BE decoder: swap each byte pair into a copy (never mutate the caller's buffer).
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return bytes.toString('utf8');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function notAPlanError(file: string): (why: string) => PlanInputError {
  return (why) => new PlanInputError(file, `JSON but not a Terraform/OpenTofu plan: ${why}; expected the output of \`terraform show -json PLANFILE\``);
}

/**
 * Check that a parsed JSON value has the shape of a plan (in place, no copy); throws PlanInputError.
 * The streaming reader checks the entries of the change lists one by one with {@link validateChangeEntry}
 * and passes the lists here empty.
 */
export function validatePlanShape(parsed: unknown, file: string): RawPlan {
  const notAPlan = notAPlanError(file);
  if (!isRecord(parsed)) throw notAPlan(`the top level is ${describeJsonType(parsed)}, not an object`);
  if (typeof parsed.format_version !== 'string') throw notAPlan('it has no "format_version"');
  if (!PLAN_KEYS.some((key) => key in parsed)) {
    if ('values' in parsed) throw notAPlan('it looks like a state file (`terraform show -json` without a plan file)');
    throw notAPlan(`it has none of ${PLAN_KEYS.map((k) => `"${k}"`).join(', ')}`);
  }
  const major = Number(parsed.format_version.split('.')[0]);
  if (!Number.isInteger(major) || major < 0) throw notAPlan(`"format_version" is "${parsed.format_version}"`);
  validateChangeList(parsed.resource_changes, 'resource_changes', notAPlan);
  validateChangeList(parsed.resource_drift, 'resource_drift', notAPlan);
  if (parsed.output_changes !== undefined && parsed.output_changes !== null) {
    if (!isRecord(parsed.output_changes)) throw notAPlan('"output_changes" is not an object');
    for (const [name, change] of Object.entries(parsed.output_changes)) {
      if (!isRecord(change) || !Array.isArray(change.actions)) throw notAPlan(`output_changes["${name}"] has no "actions" list`);
    }
  }
  if (parsed.deferred_changes !== undefined && parsed.deferred_changes !== null) {
    if (!Array.isArray(parsed.deferred_changes)) throw notAPlan('"deferred_changes" is not a list');
  }
  if (parsed.checks !== undefined && parsed.checks !== null && !Array.isArray(parsed.checks)) throw notAPlan('"checks" is not a list');
  return parsed as RawPlan;
}

function validateChangeList(list: unknown, key: string, notAPlan: (why: string) => PlanInputError): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) throw notAPlan(`"${key}" is ${describeJsonType(list)}, not a list`);
  for (let i = 0; i < list.length; i++) checkChangeEntry(list[i], key, i, notAPlan);
}

/** Check entry `index` of `resource_changes` or `resource_drift` (`key`); throws PlanInputError. */
export function validateChangeEntry(entry: unknown, key: string, index: number, file: string): RawResourceChange {
  return checkChangeEntry(entry, key, index, notAPlanError(file));
}

function checkChangeEntry(entry: unknown, key: string, i: number, notAPlan: (why: string) => PlanInputError): RawResourceChange {
  if (!isRecord(entry)) throw notAPlan(`${key}[${i}] is ${describeJsonType(entry)}, not an object`);
  if (typeof entry.address !== 'string') throw notAPlan(`${key}[${i}] has no "address"`);
  const change = entry.change;
  if (!isRecord(change)) throw notAPlan(`${key}[${i}] (${entry.address}) has no "change" object`);
  if (!Array.isArray(change.actions) || !change.actions.every((a) => typeof a === 'string')) {
    throw notAPlan(`${key}[${i}] (${entry.address}) has no "change.actions" list of strings`);
  }
  return entry as RawResourceChange;
}
