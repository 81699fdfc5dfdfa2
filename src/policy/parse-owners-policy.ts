/**
 * INFRAOWNERS / CODEOWNERS parser (pure). Every problem is collected with its line number; the
 * caller decides what to do with a policy that has errors (evaluation fails closed).
 */
import { RISK_LEVELS, type RiskLevel } from '../plan/analysis.js';
import { compilePattern } from './compile-pattern.js';
import type { Owner, OwnersPolicy, PolicyError, PolicyParseResult, PolicyRule, PolicySection } from './owners-policy.js';

/** Levels a `[risk:LEVEL]` header accepts (`none` would mean "always": use a plain section for that). */
export const SECTION_RISK_LEVELS: readonly RiskLevel[] = RISK_LEVELS.filter((level) => level !== 'none');

// GitHub logins: letters, digits, single hyphens (underscores appear in managed-user logins), at most 39 characters.
const USER_OWNER = /^@([A-Za-z0-9](?:[A-Za-z0-9_-]{0,38}))$/;
const TEAM_OWNER = /^@([A-Za-z0-9](?:[A-Za-z0-9_-]{0,38}))\/([A-Za-z0-9_][A-Za-z0-9_.-]*)$/;
const EMAIL_OWNER = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const HEADER = /^(\^)?\[([^\]]*)\](?:\[([^\]]*)\])?(.*)$/;

export function parseOwnersPolicy(text: string, file: string): PolicyParseResult {
  const errors: PolicyError[] = [];
  const sections: PolicySection[] = [];
  const byName = new Map<string, PolicySection>();
  let current: PolicySection | null = null;
  const problem = (line: number, message: string) => errors.push({ file, line, message });

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;

    if (trimmed.startsWith('[') || trimmed.startsWith('^[')) {
      const header = parseHeader(trimmed);
      if ('error' in header) {
        problem(line, header.error);
        return;
      }
      const key = header.name.toLowerCase();
      const existing = byName.get(key);
      if (existing) {
        // GitLab merges sections of the same name; a conflicting count would be ambiguous.
        if (header.count !== null && header.count !== existing.count) {
          problem(line, `section [${header.name}] was declared on line ${existing.line} with ${existing.count} approval(s); it cannot require ${header.count} here`);
        }
        current = existing;
        return;
      }
      current = { name: header.name, line, count: header.count ?? 1, minRisk: header.minRisk, rules: [] };
      byName.set(key, current);
      sections.push(current);
      return;
    }

    const tokens = tokenize(raw.trim());
    const [pattern, ...rest] = tokens;
    if (pattern === undefined) return;
    const compiled = compilePattern(pattern);
    if (!compiled.ok) for (const message of compiled.errors) problem(line, message);

    const owners: Owner[] = [];
    for (const token of rest) {
      if (token.startsWith('#')) break; // trailing comment, as GitHub allows after the owners
      const owner = parseOwner(token);
      if (owner === null) {
        problem(line, `"${token}" is not an owner: use @user, @org/team or an email address`);
      } else if (!owners.some((o) => o.text.toLowerCase() === owner.text.toLowerCase())) {
        owners.push(owner);
      }
    }
    if (!compiled.ok) return;

    if (current === null) {
      current = { name: null, line: null, count: 1, minRisk: null, rules: [] };
      sections.unshift(current);
    }
    const rule: PolicyRule = { line, pattern, matcher: compiled.matcher, literalPrefix: compiled.literalPrefix, owners };
    current.rules.push(rule);
  });

  const policy: OwnersPolicy = { file, sections };
  return { policy, errors };
}

type Header = { name: string; count: number | null; minRisk: RiskLevel | null } | { error: string };

function parseHeader(trimmed: string): Header {
  const match = HEADER.exec(trimmed);
  if (!match) return { error: `malformed section header "${trimmed}": expected [Name] or [Name][N]` };
  const [, optional, rawName = '', rawCount, tail = ''] = match;
  if (optional) return { error: `optional sections ("^[...]") are not supported: every section is required` };
  const rest = tail.trim();
  if (rest !== '' && !rest.startsWith('#')) {
    return {
      error: rest.startsWith('@') || rest.includes('@')
        ? `section default owners are not supported: put the owners on each rule of [${rawName}]`
        : `malformed section header "${trimmed}": unexpected "${rest}" after the header`,
    };
  }
  const name = rawName.trim();
  if (name === '') return { error: 'section header has an empty name' };

  let count: number | null = null;
  if (rawCount !== undefined) {
    if (!/^\s*[1-9][0-9]*\s*$/.test(rawCount) || !Number.isSafeInteger(Number(rawCount))) {
      return { error: `approval count "${rawCount}" of section [${name}] is not a positive integer` };
    }
    count = Number(rawCount);
  }

  let minRisk: RiskLevel | null = null;
  const risk = /^risk\s*:\s*(.*)$/i.exec(name);
  if (risk) {
    const level = (risk[1] ?? '').trim().toLowerCase();
    if (!(SECTION_RISK_LEVELS as readonly string[]).includes(level)) {
      return { error: `unknown risk level "${risk[1] ?? ''}" in [${name}]: use one of ${SECTION_RISK_LEVELS.join(', ')}` };
    }
    minRisk = level as RiskLevel;
    return { name: `risk:${level}`, count, minRisk };
  }
  return { name, count, minRisk };
}

/** Splits on unescaped whitespace; `\ ` stays in the token (the pattern compiler unescapes it). */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\' && i + 1 < line.length) {
      current += ch + (line[i + 1] as string);
      i++;
    } else if (ch === ' ' || ch === '\t') {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

export function parseOwner(token: string): Owner | null {
  const team = TEAM_OWNER.exec(token);
  if (team) return { kind: 'team', org: team[1] as string, slug: team[2] as string, text: token };
  const user = USER_OWNER.exec(token);
  if (user && !(user[1] as string).endsWith('-')) return { kind: 'user', login: user[1] as string, text: token };
  if (!token.startsWith('@') && EMAIL_OWNER.test(token)) return { kind: 'email', email: token, text: token };
  return null;
}
