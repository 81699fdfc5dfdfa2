/** `npm run schema`: regenerates schema/infra-review.schema.json from the zod schema. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigJsonSchema } from './config-json-schema.js';

// lib/config/ -> repository root
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(root, 'schema', 'infra-review.schema.json');
await writeFile(target, renderConfigJsonSchema());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
