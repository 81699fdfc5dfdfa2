import { main } from '../../src/cli/program.js';
import type { EngineHandle } from '../store/engines.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment that points the CLI at an engine handle's store, as an operator would set it. */
export function storeEnv(handle: EngineHandle): Record<string, string | undefined> {
  const o = handle.options;
  return { DATA_DIR: o.dataDir, DATABASE_URL: o.databaseUrl, DATABASE_SCHEMA: o.schema };
}

/**
 * Runs `infra-review ARGS` in-process through `main` with `env` merged into process.env (undefined
 * deletes a key) and stdout/stderr captured; restores both afterwards.
 */
export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const out: string[] = [];
  const err: string[] = [];
  const realStdout = process.stdout.write;
  const realStderr = process.stderr.write;
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
