/** `npm run views`: regenerates src/render/precompiled-views.ts from views/*.hbs (run it after editing a template). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompileViews } from './precompile-views.js';

// lib/render/ -> repository root
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const target = path.join(root, 'src', 'render', 'precompiled-views.ts');
await writeFile(target, precompileViews());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
