/**
 * Terraform-style attribute diff, worded like Terraform's own renderer (internal/command/jsonformat):
 * `+`/`-`/`~` markers, `(known after apply)`, `(sensitive value)`, `# forces replacement`,
 * `# (N unchanged attributes hidden)`. Differences on purpose:
 * - the action marker sits in column 0 (so a ```diff fence colours the line), indentation follows it;
 * - plan JSON has no provider schema, so nested blocks render as attributes and lists and sets alike.
 * Sensitive values are never read into the output: a masked value prints as `(sensitive value)`.
 */
import type { ChangeAction } from './analysis.js';
import { actionSymbol } from './classify-action.js';
import type { RawChange, ValueMask } from './plan-model.js';
import { childMask, hasAnyMask } from './value-mask.js';

type LineAction = 'create' | 'delete' | 'update' | 'no-op';
type PathKey = string | number;

const LINE_SYMBOL: Record<LineAction, string> = { create: '+', delete: '-', update: '~', 'no-op': '' };
const SENSITIVE = '(sensitive value)';
const UNKNOWN = '(known after apply)';
/** Attributes Terraform keeps visible, unchanged, at the top of a resource so the reader knows which object it is. */
const IDENTIFYING_ATTRIBUTES = new Set(['id', 'name', 'tags']);
/** Above this many element pairs a list is compared by position instead of by longest common subsequence. */
const MAX_LCS_CELLS = 250_000;

interface Slot {
  before: unknown;
  after: unknown;
  unknown: ValueMask;
  beforeSensitive: ValueMask;
  afterSensitive: ValueMask;
  path: PathKey[];
}

interface DiffOptions {
  replacePaths: Set<string>;
  showUnchanged: boolean;
}

class DiffWriter {
  readonly lines: string[] = [];
  constructor(readonly options: DiffOptions) {}

  line(action: LineAction | string, indent: number, text: string): void {
    const symbol = action in LINE_SYMBOL ? LINE_SYMBOL[action as LineAction] : action;
    this.lines.push(`${symbol.padEnd(3)} ${'    '.repeat(indent)}${text}`);
  }

  comment(indent: number, text: string): void {
    this.lines.push(`    ${'    '.repeat(indent)}# ${text}`);
  }

  forcesReplacement(path: PathKey[]): string {
    if (this.options.replacePaths.size === 0) return '';
    return this.options.replacePaths.has(pathKey(path)) ? ' # forces replacement' : '';
  }
}

function pathKey(path: readonly PathKey[]): string {
  return JSON.stringify(path);
}

export interface ResourceDiffInput {
  mode?: string;
  type?: string;
  name?: string;
  action: ChangeAction;
  change: RawChange;
  importing?: boolean;
}

/** The diff of one resource: a `resource "type" "name" {` block, markers in column 0. */
export function renderResourceDiff(input: ResourceDiffInput): string {
  const { change } = input;
  const writer = new DiffWriter({
    replacePaths: new Set((Array.isArray(change.replace_paths) ? change.replace_paths : []).map((p) => pathKey(p))),
    showUnchanged: input.importing === true,
  });
  const kind = input.mode === 'data' ? 'data' : 'resource';
  writer.line(actionSymbol(input.action), 0, `${kind} "${input.type ?? '?'}" "${input.name ?? '?'}" {`);
  const slot: Slot = {
    before: change.before,
    after: change.after,
    unknown: change.after_unknown,
    beforeSensitive: change.before_sensitive,
    afterSensitive: change.after_sensitive,
    path: [],
  };
  if (slot.beforeSensitive === true || slot.afterSensitive === true) {
    writer.comment(1, 'the whole object is sensitive: (sensitive value)');
  } else if (slot.unknown === true) {
    writer.comment(1, 'the whole object is (known after apply)');
  } else if (isObject(slot.before) || isObject(slot.after)) {
    writeObjectMembers(writer, slot, 1, changeOf(slot), true);
  }
  writer.line('', 0, '}');
  return writer.lines.join('\n');
}

/** The diff line(s) of one output value, e.g. `+   endpoint = (known after apply)`. */
export function renderOutputDiff(name: string, change: RawChange): string {
  const writer = new DiffWriter({ replacePaths: new Set(), showUnchanged: false });
  const slot: Slot = {
    before: change.before,
    after: change.after,
    unknown: change.after_unknown,
    beforeSensitive: change.before_sensitive,
    afterSensitive: change.after_sensitive,
    path: [],
  };
  const action = changeOf(slot);
  writeSlot(writer, slot, `${displayKey(name, true)} = `, 0, '', action === 'no-op' ? 'update' : action);
  return writer.lines.join('\n');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNullish(value: unknown): boolean {
  return value === null || value === undefined;
}

function isSensitive(slot: Slot): boolean {
  return slot.beforeSensitive === true || slot.afterSensitive === true;
}

function masksEqual(a: ValueMask, b: ValueMask): boolean {
  const aAny = hasAnyMask(a);
  const bAny = hasAnyMask(b);
  if (!aAny && !bAny) return true;
  if (aAny !== bAny) return false;
  if (a === true || b === true) return a === b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (!masksEqual(childMask(a, Array.isArray(a) ? Number(key) : key), childMask(b, Array.isArray(b) ? Number(key) : key))) return false;
  }
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // for...in instead of Object.keys: no array per object compared (plan values are plain JSON).
  let count = 0;
  for (const key in a) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
    count++;
  }
  for (const _key in b) count--;
  return count === 0;
}

/** What happens to this value: the marker its line gets. */
function changeOf(slot: Slot): LineAction {
  const beforeNull = isNullish(slot.before);
  if (slot.unknown === true) return beforeNull ? 'create' : 'update';
  const afterNull = isNullish(slot.after) && !hasAnyMask(slot.unknown);
  if (beforeNull && afterNull) return 'no-op';
  if (beforeNull) return 'create';
  if (afterNull) return 'delete';
  if (!masksEqual(slot.beforeSensitive, slot.afterSensitive)) return 'update';
  if (hasAnyMask(slot.unknown)) return 'update';
  return deepEqual(slot.before, slot.after) ? 'no-op' : 'update';
}

function child(slot: Slot, key: PathKey, parentAction: LineAction): Slot {
  const pick = (value: unknown): unknown =>
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key as string] : undefined;
  return {
    // A created parent has no "before" side for its children; a deleted one no "after" side.
    before: parentAction === 'create' ? undefined : pick(slot.before),
    after: parentAction === 'delete' ? undefined : pick(slot.after),
    unknown: parentAction === 'delete' ? undefined : childMask(slot.unknown, key),
    beforeSensitive: childMask(slot.beforeSensitive, key),
    afterSensitive: childMask(slot.afterSensitive, key),
    path: [...slot.path, key],
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_-]*$/;
const JSON_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Attribute names print bare; anything else (map keys like "Name") is quoted, as Terraform does.
 * Without a schema, lower-case identifiers stand for attributes. Inside jsonencode(...) Terraform
 * prints every identifier-like key bare (`Statement = [`).
 */
function displayKey(key: string, bare = false, inJson = false): string {
  return bare || (inJson ? JSON_IDENTIFIER : IDENTIFIER).test(key) ? key : JSON.stringify(key);
}

function formatPrimitive(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function isContainer(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function isMultiline(value: unknown): value is string {
  return typeof value === 'string' && value.includes('\n');
}

/**
 * Write one value. `prefix` is `key = ` (already padded) or '' for a list element; `suffix` is ','
 * inside lists.
 */
function writeSlot(writer: DiffWriter, slot: Slot, prefix: string, indent: number, suffix: string, action: LineAction): void {
  const replace = writer.forcesReplacement(slot.path);
  if (isSensitive(slot)) {
    const tail = action === 'delete' ? nullTail(slot, prefix) : '';
    writer.line(action, indent, `${prefix}${SENSITIVE}${tail}${suffix}${replace}`);
    const wasSensitive = slot.beforeSensitive === true;
    const isNowSensitive = slot.afterSensitive === true;
    if (action === 'update' && !wasSensitive && isNowSensitive) {
      writer.comment(indent + 1, 'Warning: this attribute value will be marked as sensitive and will not display in UI output after applying this change.');
    } else if (action === 'update' && wasSensitive && !isNowSensitive && !isNullish(slot.after)) {
      writer.comment(indent + 1, 'Warning: this attribute value will no longer be marked as sensitive after applying this change; it stays hidden here.');
    }
    return;
  }
  if (slot.unknown === true) {
    if (isNullish(slot.before)) {
      writer.line('create', indent, `${prefix}${UNKNOWN}${suffix}${replace}`);
    } else if (isContainer(slot.before) || isMultiline(slot.before)) {
      writeContainerOrString(writer, { ...slot, after: undefined, unknown: undefined }, prefix, indent, suffix, 'delete', ` -> ${UNKNOWN}`, 'update', replace);
    } else {
      writer.line('update', indent, `${prefix}${formatPrimitive(slot.before)} -> ${UNKNOWN}${suffix}${replace}`);
    }
    return;
  }
  const before = slot.before;
  const after = slot.after;
  const beforeJson = jsonDocument(before);
  const afterJson = jsonDocument(after);
  if ((beforeJson !== undefined || afterJson !== undefined) && (beforeJson !== undefined || isNullish(before)) && (afterJson !== undefined || isNullish(after))) {
    writeJsonEncoded(writer, slot, beforeJson, afterJson, prefix, indent, suffix, action, replace);
    return;
  }
  const structural = isContainer(before) || isContainer(after) || isMultiline(before) || isMultiline(after);
  if (!structural) {
    if (action === 'create') writer.line(action, indent, `${prefix}${formatPrimitive(after)}${suffix}${replace}`);
    else if (action === 'delete') writer.line(action, indent, `${prefix}${formatPrimitive(before)}${nullTail(slot, prefix)}${suffix}${replace}`);
    else if (action === 'update') writer.line(action, indent, `${prefix}${formatPrimitive(before)} -> ${formatPrimitive(after)}${suffix}${replace}`);
    else writer.line(action, indent, `${prefix}${formatPrimitive(after)}${suffix}`);
    return;
  }
  const sameShape =
    isNullish(before) ||
    isNullish(after) ||
    (Array.isArray(before) && Array.isArray(after)) ||
    (isObject(before) && isObject(after)) ||
    (typeof before === 'string' && typeof after === 'string');
  if (!sameShape) {
    // The type changed (e.g. a string became a list): show the old value going and the new one coming.
    writeSlot(writer, { ...slot, after: undefined, unknown: undefined }, prefix, indent, suffix, 'delete');
    writeSlot(writer, { ...slot, before: undefined }, prefix, indent, suffix, 'create');
    return;
  }
  // Only an attribute goes "-> null"; a removed list element just goes.
  writeContainerOrString(writer, slot, prefix, indent, suffix, action, action === 'delete' ? nullTail(slot, prefix) : '', action, replace);
}

const JSON_MARK = '\u0000json';

/**
 * An attribute that goes away reads "-> null"; a removed list element, or anything inside
 * jsonencode(...), just goes (Terraform's wording).
 */
function nullTail(slot: Slot, prefix: string): string {
  return prefix === '' || slot.path.includes(JSON_MARK) ? '' : ' -> null';
}

/** A string holding a JSON object or array (an IAM policy, say), parsed; undefined for anything else. */
function jsonDocument(value: unknown): object | undefined {
  if (typeof value !== 'string' || value.length < 2) return undefined;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** JSON in a string diffs as its structure, inside `jsonencode(...)`, as Terraform shows it. */
function writeJsonEncoded(
  writer: DiffWriter,
  slot: Slot,
  beforeJson: object | undefined,
  afterJson: object | undefined,
  prefix: string,
  indent: number,
  suffix: string,
  action: LineAction,
  replace: string,
): void {
  writer.line(action, indent, `${prefix}jsonencode(${replace}`);
  // The inner path can never equal a replace path: those stop at the string attribute.
  const inner: Slot = { before: beforeJson ?? null, after: afterJson ?? null, unknown: undefined, beforeSensitive: undefined, afterSensitive: undefined, path: [...slot.path, JSON_MARK] };
  const innerAction = action === 'create' || action === 'delete' ? action : changeOf(inner);
  if (innerAction === 'no-op' && action === 'update') writer.comment(indent + 1, '(whitespace changes)');
  else writeSlot(writer, inner, '', indent + 1, '', innerAction);
  writer.line('', indent, `)${action === 'delete' && prefix !== '' ? ' -> null' : ''}${suffix}`);
}

function writeContainerOrString(
  writer: DiffWriter,
  slot: Slot,
  prefix: string,
  indent: number,
  suffix: string,
  action: LineAction,
  closingTail: string,
  headAction: LineAction,
  replace: string,
): void {
  const value = action === 'delete' ? slot.before : isNullish(slot.after) ? slot.before : slot.after;
  if (typeof value === 'string' || typeof slot.before === 'string') {
    writeHeredoc(writer, slot, prefix, indent, suffix, action, closingTail, headAction, replace);
  } else if (Array.isArray(value)) {
    const empty = (action === 'create' && value.length === 0) || (action === 'delete' && value.length === 0);
    if (empty) {
      writer.line(headAction, indent, `${prefix}[]${closingTail}${suffix}${replace}`);
      return;
    }
    writer.line(headAction, indent, `${prefix}[${replace}`);
    writeListElements(writer, slot, indent + 1, action);
    writer.line('', indent, `]${closingTail}${suffix}`);
  } else {
    const empty = isObject(value) && Object.keys(value).length === 0 && (action === 'create' || action === 'delete');
    if (empty) {
      writer.line(headAction, indent, `${prefix}{}${closingTail}${suffix}${replace}`);
      return;
    }
    writer.line(headAction, indent, `${prefix}{${replace}`);
    writeObjectMembers(writer, slot, indent + 1, action, false);
    writer.line('', indent, `}${closingTail}${suffix}`);
  }
}

function writeObjectMembers(writer: DiffWriter, slot: Slot, indent: number, action: LineAction, topLevel: boolean): void {
  const keys = new Set<string>();
  if (action !== 'create' && isObject(slot.before)) for (const key of Object.keys(slot.before)) keys.add(key);
  if (action !== 'delete') {
    if (isObject(slot.after)) for (const key of Object.keys(slot.after)) keys.add(key);
    if (isObject(slot.unknown)) for (const key of Object.keys(slot.unknown)) keys.add(key);
  }
  const sorted = [...keys].sort();
  const shown: { key: string; slot: Slot; action: LineAction }[] = [];
  let hidden = 0;
  const inJson = slot.path.includes(JSON_MARK);
  // Terraform aligns the "=" over every attribute with a value, hidden ones included.
  let width = 0;
  for (const key of sorted) {
    const member = child(slot, key, action);
    const memberAction = changeOf(member);
    if (memberAction === 'no-op' && isNullish(member.before) && isNullish(member.after)) continue;
    width = Math.max(width, displayKey(key, false, inJson).length);
    if (memberAction === 'no-op') {
      if (writer.options.showUnchanged || (topLevel && IDENTIFYING_ATTRIBUTES.has(key))) {
        shown.push({ key, slot: member, action: memberAction });
      } else {
        hidden++;
      }
      continue;
    }
    shown.push({ key, slot: member, action: memberAction });
  }
  for (const entry of shown) {
    writeSlot(writer, entry.slot, `${displayKey(entry.key, false, inJson).padEnd(width)} = `, indent, '', entry.action);
  }
  if (hidden > 0) writer.comment(indent, `(${hidden} unchanged attribute${hidden === 1 ? '' : 's'} hidden)`);
}

type ListOp = { kind: 'same' | 'delete' | 'create' | 'update'; before?: number; after?: number };

function writeListElements(writer: DiffWriter, slot: Slot, indent: number, action: LineAction): void {
  const before = action !== 'create' && Array.isArray(slot.before) ? slot.before : [];
  const after = action !== 'delete' && Array.isArray(slot.after) ? slot.after : [];
  const elementSlot = (op: ListOp): Slot => ({
    before: op.before === undefined ? undefined : before[op.before],
    after: op.after === undefined ? undefined : after[op.after],
    unknown: op.after === undefined ? undefined : childMask(slot.unknown, op.after),
    beforeSensitive: op.before === undefined ? undefined : childMask(slot.beforeSensitive, op.before),
    afterSensitive: op.after === undefined ? undefined : childMask(slot.afterSensitive, op.after),
    path: [...slot.path, op.after ?? op.before ?? 0],
  });
  const ops = action === 'create' || action === 'delete' ? wholeListOps(before.length, after.length, action) : diffLists(slot, before, after);
  // Unchanged primitive elements next to a change stay visible as context, as Terraform does for lists.
  const visible = ops.map((op, i) => {
    if (op.kind !== 'same') return true;
    if (writer.options.showUnchanged) return true;
    const element = before[op.before ?? 0];
    if (isContainer(element)) return false;
    const prev = ops[i - 1];
    const next = ops[i + 1];
    return (prev !== undefined && prev.kind !== 'same') || (next !== undefined && next.kind !== 'same');
  });
  let hidden = 0;
  const flushHidden = (): void => {
    if (hidden > 0) writer.comment(indent, `(${hidden} unchanged element${hidden === 1 ? '' : 's'} hidden)`);
    hidden = 0;
  };
  ops.forEach((op, i) => {
    if (!visible[i]) {
      hidden++;
      return;
    }
    flushHidden();
    const element = elementSlot(op);
    const elementAction: LineAction = op.kind === 'same' ? 'no-op' : op.kind === 'update' ? changeOf(element) : op.kind;
    writeSlot(writer, element, '', indent, ',', elementAction === 'no-op' && op.kind === 'update' ? 'update' : elementAction);
  });
  flushHidden();
}

function wholeListOps(beforeLength: number, afterLength: number, action: 'create' | 'delete'): ListOp[] {
  const ops: ListOp[] = [];
  if (action === 'create') for (let i = 0; i < afterLength; i++) ops.push({ kind: 'create', after: i });
  else for (let i = 0; i < beforeLength; i++) ops.push({ kind: 'delete', before: i });
  return ops;
}

function elementsEqual(slot: Slot, before: unknown[], after: unknown[], b: number, a: number): boolean {
  if (hasAnyMask(childMask(slot.unknown, a))) return false;
  if (!masksEqual(childMask(slot.beforeSensitive, b), childMask(slot.afterSensitive, a))) return false;
  return deepEqual(before[b], after[a]);
}

/** Longest-common-subsequence list diff; unmatched neighbours pair up as in-place updates. */
function diffLists(slot: Slot, before: unknown[], after: unknown[]): ListOp[] {
  const n = before.length;
  const m = after.length;
  const matches: [number, number][] = [];
  if (n * m <= MAX_LCS_CELLS) {
    const table = new Uint32Array((n + 1) * (m + 1));
    const width = m + 1;
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        table[i * width + j] = elementsEqual(slot, before, after, i, j)
          ? table[(i + 1) * width + j + 1]! + 1
          : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (elementsEqual(slot, before, after, i, j)) {
        matches.push([i, j]);
        i++;
        j++;
      } else if (table[(i + 1) * width + j]! >= table[i * width + j + 1]!) i++;
      else j++;
    }
  } else {
    for (let i = 0; i < Math.min(n, m); i++) if (elementsEqual(slot, before, after, i, i)) matches.push([i, i]);
  }
  const ops: ListOp[] = [];
  let b = 0;
  let a = 0;
  const emitGap = (bEnd: number, aEnd: number): void => {
    // Pair what was removed with what was added at the same place: a changed element, not a swap.
    while (b < bEnd && a < aEnd) {
      const sameKind = isContainer(before[b]) === isContainer(after[a]) && Array.isArray(before[b]) === Array.isArray(after[a]);
      if (!sameKind) break;
      ops.push({ kind: 'update', before: b++, after: a++ });
    }
    while (b < bEnd) ops.push({ kind: 'delete', before: b++ });
    while (a < aEnd) ops.push({ kind: 'create', after: a++ });
  };
  for (const [mb, ma] of matches) {
    emitGap(mb, ma);
    ops.push({ kind: 'same', before: b++, after: a++ });
  }
  emitGap(n, m);
  return ops;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function writeHeredoc(
  writer: DiffWriter,
  slot: Slot,
  prefix: string,
  indent: number,
  suffix: string,
  action: LineAction,
  closingTail: string,
  headAction: LineAction,
  replace: string,
): void {
  const before = typeof slot.before === 'string' && action !== 'create' ? slot.before : undefined;
  const after = typeof slot.after === 'string' && action !== 'delete' ? slot.after : undefined;
  if (action === 'update' && before !== undefined && after !== undefined && !isMultiline(before) && !isMultiline(after)) {
    writer.line('update', indent, `${prefix}${formatPrimitive(before)} -> ${formatPrimitive(after)}${suffix}${replace}`);
    return;
  }
  writer.line(headAction, indent, `${prefix}<<-EOT${replace}`);
  if (action === 'update' && before !== undefined && after !== undefined) {
    const beforeLines = splitLines(before);
    const afterLines = splitLines(after);
    const lineSlot: Slot = { before: beforeLines, after: afterLines, unknown: undefined, beforeSensitive: undefined, afterSensitive: undefined, path: [] };
    for (const op of diffLists(lineSlot, beforeLines, afterLines)) {
      if (op.kind === 'same') writer.line('', indent + 1, beforeLines[op.before!]!);
      else if (op.kind === 'delete') writer.line('delete', indent + 1, beforeLines[op.before!]!);
      else if (op.kind === 'create') writer.line('create', indent + 1, afterLines[op.after!]!);
      else {
        writer.line('delete', indent + 1, beforeLines[op.before!]!);
        writer.line('create', indent + 1, afterLines[op.after!]!);
      }
    }
  } else {
    for (const line of splitLines((action === 'delete' ? before : after) ?? before ?? '')) writer.line('', indent + 1, line);
  }
  writer.line('', indent, `EOT${closingTail}${suffix}`);
}
