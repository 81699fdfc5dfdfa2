/**
 * Redaction of secrets from anything a process printed before it reaches a log, a comment or an error.
 * Every captured output of the runner passes through here.
 */

export const REDACTED = '***';

/** Shorter values are too likely to occur in ordinary text; masking them would wreck output and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/**
 * The forms in which a secret can show up in output: itself, its base64 form, and the base64 form of the
 * HTTP Basic credential git sends for an installation token (`x-access-token:TOKEN`).
 */
export function secretVariants(secret: string): string[] {
  const variants = new Set<string>([secret]);
  variants.add(Buffer.from(secret, 'utf8').toString('base64'));
  variants.add(Buffer.from(`x-access-token:${secret}`, 'utf8').toString('base64'));
  variants.add(encodeURIComponent(secret));
  return [...variants].filter((value) => value.length >= MIN_SECRET_LENGTH);
}

/** Replaces every occurrence of every secret (and its encoded forms) in `text` with `***`. */
export function redact(text: string, secrets: Iterable<string | undefined | null>): string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) continue;
    for (const variant of secretVariants(secret)) needles.add(variant);
  }
  if (needles.size === 0) return text;
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  let result = text;
  for (const needle of ordered) result = result.split(needle).join(REDACTED);
  return result;
}
