import type { ValueMask } from './plan-model.js';

/**
 * Walking `after_unknown`, `before_sensitive` and `after_sensitive` alongside a value. A mask is
 * `true` for the whole value, or an object/array holding the mask of each child.
 */
export function childMask(mask: ValueMask, key: string | number): ValueMask {
  if (mask === true) return true;
  if (mask === null || typeof mask !== 'object') return undefined;
  if (Array.isArray(mask)) return typeof key === 'number' ? mask[key] : undefined;
  return (mask as Record<string, ValueMask>)[String(key)];
}

export function isWholeMasked(mask: ValueMask): boolean {
  return mask === true;
}

/** True when any part of the value is masked. */
export function hasAnyMask(mask: ValueMask): boolean {
  if (mask === true) return true;
  if (mask === null || typeof mask !== 'object') return false;
  if (Array.isArray(mask)) return mask.some(hasAnyMask);
  for (const key in mask) if (hasAnyMask((mask as Record<string, ValueMask>)[key])) return true;
  return false;
}

/** Is the value at `path` (or any value enclosing it) masked? */
export function isMaskedAt(mask: ValueMask, path: readonly (string | number)[]): boolean {
  let current = mask;
  for (const key of path) {
    if (current === true) return true;
    current = childMask(current, key);
  }
  return hasAnyMask(current);
}

/** Every string (length >= minLength) inside the masked parts of value: used by tests and self-checks. */
export function collectMaskedStrings(value: unknown, mask: ValueMask, minLength: number, into: Set<string>): void {
  if (mask === true) {
    collectAllStrings(value, minLength, into);
    return;
  }
  if (mask === null || typeof mask !== 'object' || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => collectMaskedStrings(item, childMask(mask, i), minLength, into));
    return;
  }
  for (const [key, item] of Object.entries(value)) collectMaskedStrings(item, childMask(mask, key), minLength, into);
}

function collectAllStrings(value: unknown, minLength: number, into: Set<string>): void {
  if (typeof value === 'string') {
    if (value.length >= minLength) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectAllStrings(item, minLength, into);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectAllStrings(item, minLength, into);
  }
}
