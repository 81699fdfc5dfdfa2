/**
 * Reads the `module` blocks of one Terraform/OpenTofu file. Pure: the caller reads the file.
 * HCL goes through @cdktf/hcl2json (the real HCL parser, compiled to WebAssembly); JSON syntax
 * files through JSON.parse.
 */
import { parse as parseHcl } from '@cdktf/hcl2json';

export interface ModuleCall {
  /** The block label: `module "network" {}` is `network`. */
  name: string;
  /** The literal `source` string; undefined when missing or not a literal. */
  source?: string;
  /** 1-based line of the `source` argument when it can be found in the text, else of the file start. */
  line: number;
}

export interface HclError {
  /** The file name as given to the parser (repository-relative). */
  file: string;
  line: number;
  column: number;
  message: string;
}

export type ParseModuleCallsResult = { calls: ModuleCall[] } | { errors: HclError[] };

/** `.tf.json` and `.tofu.json` use Terraform's JSON syntax. */
export function isJsonSyntax(file: string): boolean {
  return file.endsWith('.tf.json') || file.endsWith('.tofu.json');
}

/** Parses `content` (named `file`, repository-relative) and lists its module calls, or its syntax errors. */
export async function parseModuleCalls(file: string, content: string): Promise<ParseModuleCallsResult> {
  let body: unknown;
  if (isJsonSyntax(file)) {
    try {
      body = JSON.parse(content);
    } catch (error) {
      return { errors: [jsonError(file, content, error as Error)] };
    }
  } else {
    try {
      body = await parseHcl(file, content);
    } catch (error) {
      return { errors: hclErrors(file, error) };
    }
  }
  return { calls: moduleCallsOf(body, content) };
}

/**
 * hcl2json returns `module: {name: [{source, ...}]}`; Terraform JSON syntax allows
 * `module: {name: {...}}` or a list of such objects.
 */
function moduleCallsOf(body: unknown, content: string): ModuleCall[] {
  const calls: ModuleCall[] = [];
  const blocks = isRecord(body) ? body.module : undefined;
  for (const group of Array.isArray(blocks) ? blocks : [blocks]) {
    if (!isRecord(group)) continue;
    for (const [name, value] of Object.entries(group)) {
      for (const block of Array.isArray(value) ? value : [value]) {
        if (!isRecord(block)) continue;
        const source = typeof block.source === 'string' && !block.source.includes('${') ? block.source : undefined;
        calls.push({ name, ...(source !== undefined ? { source } : {}), line: lineOf(content, name) });
      }
    }
  }
  return calls.sort((a, b) => a.name.localeCompare(b.name) || a.line - b.line);
}

/** Line of the `module "name"` block (HCL) or the `"name":` key (JSON); the parsers give no positions. */
function lineOf(content: string, name: string): number {
  const label = escapeRegExp(name);
  const match = new RegExp(`(^|\\n)[ \\t]*module[ \\t]+(?:"${label}"|${label})[ \\t]*\\{`).exec(content) ?? new RegExp(`"${label}"\\s*:`).exec(content);
  if (!match) return 1;
  const start = match.index + (match[1]?.length ?? 0);
  return content.slice(0, start).split('\n').length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * hcl2json rejects with `parse config: [FILE:L,C-C: Summary; Detail FILE:L,C-L,C: Summary; Detail]`.
 * Each `FILE:L,C` starts one diagnostic; we know FILE, so the split is exact even with odd names.
 */
export function hclErrors(file: string, error: unknown): HclError[] {
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw.replace(/^(?:Error:\s*)?parse config:\s*\[?/, '').replace(/\]\s*$/, '');
  const marker = new RegExp(`${escapeRegExp(file)}:(\\d+),(\\d+)(?:-(?:\\d+,)?\\d+)?:\\s*`, 'g');
  const matches = [...text.matchAll(marker)];
  if (matches.length === 0) return [{ file, line: 1, column: 1, message: text.trim() || 'cannot parse the file' }];
  return matches.map((match, index) => {
    const start = match.index + match[0].length;
    const end = index + 1 < matches.length ? matches[index + 1]!.index : text.length;
    const message = text
      .slice(start, end)
      .trim()
      .replace(/;\s*/, ': ');
    return { file, line: Number(match[1]), column: Number(match[2]), message };
  });
}

/** V8 says `... in JSON at position N` and, in newer versions, `(line L column C)`. */
function jsonError(file: string, content: string, error: Error): HclError {
  const message = error.message;
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return { file, line: Number(lineColumn[1]), column: Number(lineColumn[2]), message: cleanJsonMessage(message) };
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const before = content.slice(0, Number(position[1]));
    const lines = before.split('\n');
    return { file, line: lines.length, column: lines[lines.length - 1]!.length + 1, message: cleanJsonMessage(message) };
  }
  // "Unexpected end of JSON input" has no position: it is at the end.
  const lines = content.split('\n');
  return { file, line: lines.length, column: lines[lines.length - 1]!.length + 1, message: cleanJsonMessage(message) };
}

function cleanJsonMessage(message: string): string {
  return `invalid JSON: ${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/\s*at position \d+/, '')}`;
}
