/**
 * Flags of a harness bench part: `node bench/<part>.js --rate 100` passes them to vitest as JSON in
 * BENCH_ARGS (see run-harness-bench.js). A flag given with a bad value is an error, never ignored.
 */
const args: string[] = JSON.parse(process.env.BENCH_ARGS ?? '[]') as string[];

/** The positive (or, with `allowZero`, non-negative) number after `--name`, or `fallback` when the flag is absent. */
export function numberFlag(name: string, fallback: number, options: { integer?: boolean; allowZero?: boolean } = {}): number {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const raw = args[at + 1];
  const value = Number(raw);
  const tooSmall = options.allowZero ? value < 0 : value <= 0;
  if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || tooSmall || (options.integer && !Number.isInteger(value))) {
    throw new Error(`--${name} needs a ${options.allowZero ? 'non-negative' : 'positive'} ${options.integer ? 'whole ' : ''}number, got ${JSON.stringify(raw ?? '')}`);
  }
  return value;
}

/** The value after `--name`, or undefined when the flag is absent. */
export function stringFlag(name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const raw = args[at + 1];
  if (raw === undefined || raw.startsWith('--')) throw new Error(`--${name} needs a value`);
  return raw;
}
