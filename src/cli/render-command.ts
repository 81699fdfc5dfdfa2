import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Document, LineCounter } from 'yaml';
import type { PlanAnalysis, ResourceChangeAnalysis } from '../plan/analysis.js';
import { analysisJsonPieces, changeJsonText } from '../plan/analysis-json.js';
import type { AnalyzePlanOptions } from '../plan/analyze-plan.js';
import { analyzePlanFile } from '../plan/analyze-plan-file.js';
import { PlanInputError } from '../plan/plan-model.js';
import type { RiskConfig } from '../plan/risk-config.js';
import { CliError } from './cli-error.js';
import { tuneV8ForRendering } from './v8-tuning.js';

// The YAML parser, zod schemas and Handlebars load only when a run needs them (--config, markdown):
// `render --format json` on a big plan should cost little more than parsing it.

/**
 * `infra-review render PLAN.json [--format markdown|json] [--config FILE] [--out-dir DIR] [--project NAME]`:
 * the analysis and the plan comment the app would post, from a `terraform show -json` file.
 */

export interface RenderCommandOptions {
  format: 'markdown' | 'json';
  config?: string;
  outDir?: string;
  project?: string;
}

export function registerRenderCommand(program: Command): void {
  program
    .command('render')
    .description('Analyse a `terraform show -json` plan file: print the plan comment (markdown) or the analysis (json).')
    .argument('<plan>', 'plan JSON file (terraform show -json PLANFILE > plan.json)')
    .addOption(new Option('--format <format>', 'what to print').choices(['markdown', 'json']).default('markdown'))
    .option('--config <file>', 'a .github/infra-review.yml-style file whose `risk:` section applies')
    .option('--out-dir <dir>', 'also write every comment body to DIR/comment-1.md, comment-2.md, ...')
    .option('--project <name>', 'project name shown in the comment (default: the plan file name without extension)')
    .action(async (plan: string, options: RenderCommandOptions) => {
      await runRender(plan, options);
    });
}

export async function runRender(planFile: string, options: RenderCommandOptions): Promise<void> {
  const risk = options.config === undefined ? undefined : await loadRiskConfig(options.config);
  const analyze = <C>(keep: Pick<AnalyzePlanOptions<C>, 'keepChange'>): PlanAnalysis<C> => {
    try {
      // Streamed: the plan is never held whole, only one small record per change (analyze-plan-file.ts).
      return analyzePlanFile<C>(planFile, { ...keep, ...(risk === undefined ? {} : { risk }) });
    } catch (error) {
      throw planError(planFile, error);
    }
  };

  if (options.outDir === undefined && options.format === 'json') {
    // Nothing is rendered: each change is kept as its JSON text only.
    const analysis = analyze({ keepChange: changeJsonText });
    await writePieces(analysisJsonPieces(analysis));
    if (analysis.errored) throw erroredPlan(planFile);
    return;
  }

  const analysis = analyze<ResourceChangeAnalysis>({});
  if (options.format === 'json') await writePieces(analysisJsonPieces(analysis));
  tuneV8ForRendering();
  const { renderPlanComment } = await import('../render/render-plan-comment.js');
  let bodies: string[];
  try {
    // Rendering a change's diff reads that change from the file again. Without --out-dir only body 1
    // is printed: the others are measured (body 1 says "part 1 of N"), never put together.
    bodies = renderPlanComment(
      {
        headSha: '',
        projects: [
          {
            name: options.project ?? path.basename(planFile, path.extname(planFile)),
            dir: path.relative(process.cwd(), path.dirname(path.resolve(planFile))) || '.',
            workspace: 'default',
            status: 'planned',
            analysis,
          },
        ],
      },
      options.outDir === undefined ? { keepBodies: 1 } : {},
    );
  } catch (error) {
    throw planError(planFile, error);
  }
  if (options.format === 'markdown') process.stdout.write(bodies[0] ?? '');
  if (options.outDir !== undefined) await writeBodies(options.outDir, bodies);
  if (analysis.errored) throw erroredPlan(planFile);
}

function erroredPlan(planFile: string): CliError {
  return new CliError(`${planFile}: the plan is marked errored (terraform plan failed); the analysis above is incomplete`, 1);
}

/**
 * Write to stdout piece by piece, waiting whenever stdout asks to (a pipe to a slower reader, like
 * `| jq`): otherwise every piece would queue in memory and the output would be held whole after all.
 */
async function writePieces(pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) {
    if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
  }
}

/** Bad input (exit 2) as the user should read it; anything else is rethrown as is. */
function planError(planFile: string, error: unknown): unknown {
  if (error instanceof PlanInputError) return new CliError(error.toString(), 2);
  if (isFsError(error)) return new CliError(`${planFile}: cannot read the file (${describeFsError(error)})`, 2);
  return error;
}

function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new CliError(`${file}: cannot read the file (${describeFsError(error)})`, 2);
  }
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (error instanceof Error ? error.message : String(error));
}

async function writeBodies(dir: string, bodies: string[]): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await Promise.all(bodies.map((body, i) => writeFile(path.join(dir, `comment-${i + 1}.md`), body)));
  } catch (error) {
    throw new CliError(`${dir}: cannot write the comment files (${describeFsError(error)})`, 2);
  }
}

type PathSegment = string | number;

/** `['risk', 'rules', 0, 'level']` -> `risk.rules[0].level`. */
function formatYamlPath(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Line and column of the deepest node of `segments` that exists in the document. */
function locate(doc: Document, lineCounter: LineCounter, segments: readonly PathSegment[]): string {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      const { line, col } = lineCounter.linePos(range[0]);
      return `${Math.max(line, 1)}:${Math.max(col, 1)}`;
    }
  }
  return '1:1';
}

/**
 * The `risk:` section of a config file, validated with the same schema as the app. Every problem is
 * reported at once, each as FILE:LINE:COLUMN: YAML.PATH: message; any problem is bad input (exit 2).
 */
export async function loadRiskConfig(file: string): Promise<RiskConfig | undefined> {
  const text = (await readInput(file)).toString('utf8');
  const { LineCounter, parseDocument } = await import('yaml');
  const { riskConfigSchema } = await import('../plan/risk-config.js');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${file}:${line}:${col}: invalid YAML: ${error.message.split('\n')[0]}`;
    });
    throw new CliError(problems.join('\n'), 2);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new CliError(`${file}:1:1: invalid YAML: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) throw new CliError(`${file}:1:1: expected a mapping of settings at the top level`, 2);
  const section = (data as Record<string, unknown>).risk;
  if (section === undefined || section === null) return undefined;
  const result = riskConfigSchema.safeParse(section);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const segments: PathSegment[] = ['risk', ...(issue.path as PathSegment[])];
    return `${file}:${locate(doc, lineCounter, segments)}: ${formatYamlPath(segments)}: ${issue.message}`;
  });
  throw new CliError(problems.join('\n'), 2);
}
