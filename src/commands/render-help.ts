import { renderTemplate } from '../render/template-environment.js';

/** The `/help` text, also appended to every answer to an unknown command or bad flag. */
export function renderHelp(): string {
  return renderTemplate('help', {});
}
