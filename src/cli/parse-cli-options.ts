import { CliError } from './cli-error.js';

/**
 * Validation of the operator commands' options. Each returns the value or throws a CliError with exit
 * status 2 that names the option and what was wrong.
 */

// GitHub's own limits: owner 1-39 of letters, digits and hyphens; repository name letters, digits, '.', '-', '_'.
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export function parseRepoOption(value: string): string {
  if (!REPO.test(value) || value.endsWith('/.') || value.endsWith('/..')) {
    throw new CliError(`--repo ${JSON.stringify(value)}: expected OWNER/NAME, e.g. acme/infra`, 2);
  }
  return value;
}

export function parsePositiveIntegerOption(flag: string, value: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new CliError(`${flag} ${JSON.stringify(value)}: expected a positive whole number`, 2);
  }
  return Number(value);
}

export type OutputFormat = 'table' | 'json';

export function parseFormatOption(value: string): OutputFormat {
  if (value !== 'table' && value !== 'json') throw new CliError(`--format ${JSON.stringify(value)}: expected table or json`, 2);
  return value;
}

export function parseNameOption(flag: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || CONTROL_CHARACTER.test(trimmed)) throw new CliError(`${flag} ${JSON.stringify(value)}: expected a non-empty name`, 2);
  return trimmed;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
