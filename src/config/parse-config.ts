/**
 * Parses and validates `.github/infra-review.yml` text. The caller reads the file from the
 * base branch (never the PR head) and plans nothing when this returns errors.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type * as z from 'zod';
import type { ConfigError } from './config-error.js';
import { buildConfigJsonSchema } from './config-json-schema.js';
import { CONFIG_FILE, infraReviewConfigSchema } from './config-schema.js';
import type { InfraReviewConfig } from './config-schema.js';
import { suggestName } from './suggest-name.js';

export type ParseConfigResult = { config: InfraReviewConfig } | { errors: ConfigError[] };

type PathSegment = string | number;
type Issue = z.core.$ZodIssue;

/** The configuration that applies when the repository has no config file. */
export function defaultConfig(): InfraReviewConfig {
  return infraReviewConfigSchema.parse({});
}

/**
 * `text` null (no file) gives every default. Otherwise returns the defaulted config, or every
 * problem at once (YAML syntax, types, unknown keys, invalid globs, dangling references), each
 * with its YAML path, line and column.
 */
export function parseConfig(text: string | null, file: string = CONFIG_FILE): ParseConfigResult {
  if (text === null) return { config: defaultConfig() };

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const at = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) };
  };

  if (doc.errors.length > 0) {
    // Validating a document that did not parse would report follow-on noise; syntax first.
    return {
      errors: doc.errors.map((error) => ({
        file,
        path: '',
        ...at(error.pos[0]),
        message: firstLine(error.message),
      })),
    };
  }

  let data: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs").
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    return { errors: [{ file, path: '', line: 1, column: 1, message: `cannot read the YAML: ${(error as Error).message}` }] };
  }

  const result = infraReviewConfigSchema.safeParse(data);
  if (result.success) return { config: result.data };

  const locate = (path: readonly PathSegment[], key: boolean) => {
    const offset = findOffset(doc, path, key);
    return at(offset);
  };
  const errors = result.error.issues.flatMap((issue) => describeIssue(issue, [], data, file, locate));
  errors.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path) || a.message.localeCompare(b.message));
  return { errors: dedupe(errors) };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.line}:${error.column}:${error.path}:${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `['projects', 0, 'when_modified', 2]` -> `projects[0].when_modified[2]`. */
export function formatYamlPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

type Locate = (path: readonly PathSegment[], key: boolean) => { line: number; column: number };

function describeIssue(issue: Issue, base: readonly PathSegment[], data: unknown, file: string, locate: Locate): ConfigError[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const make = (message: string, at: readonly PathSegment[] = path, key = false): ConfigError => ({
    file,
    path: formatYamlPath(at),
    ...locate(at, key),
    message,
  });
  const value = valueAt(data, path);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(path);
      return issue.keys.map((key) => {
        const suggestion = suggestName(key, known);
        const hint = suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? ` (allowed: ${known.join(', ')})` : '';
        return make(`unknown key "${key}"${hint}`, [...path, key], true);
      });
    }
    case 'invalid_type': {
      if (value === undefined) {
        const name = path[path.length - 1];
        return [make(`required key "${String(name)}" is missing`, path.slice(0, -1))];
      }
      return [make(`expected ${describeExpected(issue.expected)}, got ${describeValue(value)}`)];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const suggestion = typeof value === 'string' ? suggestName(value, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
      return [make(`expected ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}, got ${describeValue(value)}${hint}`)];
    }
    case 'invalid_union': {
      // A branch that got past the value's own type is the one the user meant: report its problems.
      const meant = issue.errors.filter((branch) => !branch.some((inner) => inner.path.length === 0 && (inner.code === 'invalid_type' || inner.code === 'invalid_value')));
      if (meant.length >= 1) return meant[0]!.flatMap((inner) => describeIssue(inner, path, data, file, locate));
      const options = issue.errors.map((branch) => branch.find((inner) => inner.path.length === 0)).filter((inner) => inner !== undefined);
      const expected = options.map((inner) =>
        inner.code === 'invalid_value' ? inner.values.map((v) => JSON.stringify(v)).join(', ') : inner.code === 'invalid_type' ? describeExpected(inner.expected) : inner.message,
      );
      return [make(`expected ${[...new Set(expected)].join(', or ')}; got ${describeValue(value)}`)];
    }
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
    case 'not_multiple_of':
    case 'custom':
    default:
      return [make(issue.message)];
  }
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
      return 'a map';
    case 'array':
      return 'a list';
    case 'int':
      return 'an integer';
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

let cachedJsonSchema: Record<string, unknown> | undefined;

/** Keys allowed at a path, read from the JSON Schema so the suggestion list never drifts from the schema. */
function knownKeysAt(path: readonly PathSegment[]): string[] {
  cachedJsonSchema ??= buildConfigJsonSchema();
  let nodes: Record<string, unknown>[] = [cachedJsonSchema];
  for (const segment of path) {
    const next: Record<string, unknown>[] = [];
    for (const node of nodes.flatMap(expandAnyOf)) {
      if (typeof segment === 'number') {
        if (isObject(node.items)) next.push(node.items);
      } else if (isObject(node.properties) && isObject(node.properties[segment])) {
        next.push(node.properties[segment] as Record<string, unknown>);
      } else if (isObject(node.additionalProperties)) {
        next.push(node.additionalProperties);
      }
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const node of nodes.flatMap(expandAnyOf)) {
    if (isObject(node.properties)) for (const key of Object.keys(node.properties)) keys.add(key);
  }
  return [...keys].sort();
}

function expandAnyOf(node: Record<string, unknown>): Record<string, unknown>[] {
  const options = Array.isArray(node.anyOf) ? node.anyOf.filter(isObject) : [];
  return [node, ...options.flatMap(expandAnyOf)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Source offset for a path: the key (for unknown keys) or the value; for a path that does not
 * exist (a missing key) the nearest existing ancestor.
 */
function findOffset(doc: Document, path: readonly PathSegment[], key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item): item is Pair => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return offset;
      const last = i === path.length - 1;
      const keyStart = rangeStart(pair.key);
      if (last && key && keyStart !== undefined) return keyStart;
      node = pair.value;
      offset = rangeStart(pair.value) ?? keyStart ?? offset;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(item) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyText(node: unknown): string | undefined {
  if (isScalar(node)) return String(node.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
