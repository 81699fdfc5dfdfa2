import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `../shared/fixtures/plans` beside the project: real `terraform show -json` outputs (may be absent). */
export const FIXTURE_PLANS_DIR = path.resolve(REPO_ROOT, '../shared/fixtures/plans');

/** Every plan JSON file under `dir` (SOURCES.json excluded), sorted; none when the folder is absent. */
export function listFixturePlans(dir: string = FIXTURE_PLANS_DIR): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listFixturePlans(full));
    else if (entry.endsWith('.json') && entry !== 'SOURCES.json') out.push(full);
  }
  return out.sort();
}
