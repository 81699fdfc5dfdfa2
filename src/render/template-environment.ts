import type HandlebarsCompiler from 'handlebars';
import HandlebarsRuntimeModule from 'handlebars/runtime.js';
import { codeFence, htmlCode, inlineCode, plainText } from './markdown-text.js';
import { PRECOMPILED_VIEWS } from './precompiled-views.js';

/**
 * The one Handlebars environment for every comment and check summary. The templates (`views/*.hbs`)
 * are compiled at build time, with `noEscape: true` (we write markdown, not HTML) and `strict: true`,
 * into precompiled-views.ts (precompile-views.ts, `npm run views`); at run time only the Handlebars
 * runtime loads, never its compiler. Untrusted text reaches the output only through the helpers
 * registered here: `fence`, `code`, `text`, `cmd`.
 */

// handlebars/runtime.d.ts declares no exports; the runtime is the full environment minus compile().
const HandlebarsRuntime = HandlebarsRuntimeModule as unknown as Pick<typeof HandlebarsCompiler, 'create'>;

type Template = HandlebarsCompiler.TemplateDelegate;

let templates: Map<string, Template> | undefined;

function createTemplates(): Map<string, Template> {
  const hbs = HandlebarsRuntime.create();
  const asString = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
  hbs.registerHelper('fence', (content: unknown, info: unknown) => codeFence(asString(content), typeof info === 'string' ? info : ''));
  hbs.registerHelper('code', (value: unknown) => htmlCode(asString(value)));
  hbs.registerHelper('text', (value: unknown) => plainText(asString(value)));
  hbs.registerHelper('cmd', (value: unknown) => inlineCode(asString(value)));
  hbs.registerHelper('plural', (count: unknown, one: unknown, many: unknown) => (count === 1 ? asString(one) : asString(many)));
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  return new Map(Object.entries(PRECOMPILED_VIEWS).map(([name, spec]) => [name, hbs.template(spec)]));
}

/** Renders `views/NAME.hbs` with `context`. Templates are set up once, on first use. */
export function renderTemplate(name: string, context: object): string {
  templates ??= createTemplates();
  const template = templates.get(name);
  if (!template) throw new Error(`no template views/${name}.hbs`);
  return template(context);
}
