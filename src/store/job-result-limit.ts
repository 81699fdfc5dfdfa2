/**
 * Job results are bounded, but far higher than error text: a plan job's result is what `/apply`, approvals
 * and the apply check read back (every changed file with its project), and must survive whole for a PR at
 * GitHub's 3,000-file listing limit even when every file is a rename (two paths): 6,000 paths of about 600
 * characters. A result beyond this is stored as a `TruncatedJobResult`, which readers must treat as lost
 * (fail closed) and report as too large, never as missing.
 */
export const MAX_JOB_RESULT_BYTES = 4 * 1024 * 1024;

/** What the store keeps of a result beyond `MAX_JOB_RESULT_BYTES` (UTF-8 bytes of its JSON). */
export interface TruncatedJobResult {
  truncated: true;
  /** The size of the result's JSON, in UTF-8 bytes; absent in markers written before it was recorded. */
  bytes?: number;
  /** The bound it exceeded, in bytes; absent in markers written before it was recorded. */
  limit?: number;
  preview: string;
}

/** The size of `value` as the store measures it: the UTF-8 bytes of its JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
}

/** The text the store writes for a job result: its JSON when it fits, else a truncation marker with a preview of `previewChars`. */
export function boundJobResult(value: unknown, previewChars: number): string {
  const text = JSON.stringify(value) ?? 'null';
  // One UTF-16 unit of JSON takes at most three UTF-8 bytes: only long text needs measuring.
  if (text.length * 3 <= MAX_JOB_RESULT_BYTES) return text;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_JOB_RESULT_BYTES) return text;
  const marker: TruncatedJobResult = { truncated: true, bytes, limit: MAX_JOB_RESULT_BYTES, preview: text.slice(0, previewChars) };
  return JSON.stringify(marker);
}

export function isTruncatedJobResult(value: unknown): value is TruncatedJobResult {
  if (typeof value !== 'object' || value === null) return false;
  const marker = value as Partial<TruncatedJobResult>;
  return marker.truncated === true && typeof marker.preview === 'string';
}
