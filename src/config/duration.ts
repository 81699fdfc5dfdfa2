const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** One or more `<number><unit>` parts, e.g. `90s`, `10m`, `1h30m`. */
const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h))+$/;
const PART_PATTERN = /(\d+)(ms|s|m|h)/g;

/** Parses `90s`, `10m`, `1h`, `1h30m` to milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_PATTERN)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total;
}
