import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { codeFence, htmlCode, inlineCode, plainText } from './markdown-text.js';

/**
 * The one Handlebars environment for every comment and check summary. Templates are compiled with
 * `noEscape: true` (we write markdown, not HTML); untrusted text reaches the output only through the
 * helpers registered here: `fence`, `code`, `text`, `cmd`.
 */

/**
 * `views/` at the package root. This file is `src/render/` under vitest and `lib/render/` after the
 * build: both sit two levels below the root.
 */
export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

type Template = Handlebars.TemplateDelegate;

let environment: { hbs: typeof Handlebars; templates: Map<string, Template> } | undefined;

function createEnvironment(viewsDir: string): { hbs: typeof Handlebars; templates: Map<string, Template> } {
  if (!existsSync(viewsDir)) throw new Error(`templates folder not found: ${viewsDir}`);
  const hbs = Handlebars.create();
  const asString = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
  hbs.registerHelper('fence', (content: unknown, info: unknown) => codeFence(asString(content), typeof info === 'string' ? info : ''));
  hbs.registerHelper('code', (value: unknown) => htmlCode(asString(value)));
  hbs.registerHelper('text', (value: unknown) => plainText(asString(value)));
  hbs.registerHelper('cmd', (value: unknown) => inlineCode(asString(value)));
  hbs.registerHelper('plural', (count: unknown, one: unknown, many: unknown) => (count === 1 ? asString(one) : asString(many)));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  const templates = new Map<string, Template>();
  for (const file of readdirSync(viewsDir).sort()) {
    if (!file.endsWith('.hbs')) continue;
    const name = file.slice(0, -'.hbs'.length);
    const source = readFileSync(path.join(viewsDir, file), 'utf8');
    templates.set(name, hbs.compile(source, { noEscape: true, strict: true }));
  }
  return { hbs, templates };
}

/** Renders `views/NAME.hbs` with `context`. Templates are loaded once, on first use. */
export function renderTemplate(name: string, context: object): string {
  environment ??= createEnvironment(VIEWS_DIR);
  const template = environment.templates.get(name);
  if (!template) throw new Error(`no template views/${name}.hbs`);
  return template(context);
}
