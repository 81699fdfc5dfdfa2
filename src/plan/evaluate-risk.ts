/**
 * Risk tiers: every change gets a level and reasons in plain words; the plan gets the highest level.
 * Built-in rules read the catalogue (risk-catalog.ts); user rules from `risk.rules` run afterwards and
 * set the level of the changes they match. No reason ever quotes a value the plan marks sensitive:
 * reasons name attributes and the catalogue's own constants, never the plan's values.
 */
import picomatch from 'picomatch';
import type { ChangeAction, RiskLevel } from './analysis.js';
import { compareRisk } from './analysis.js';
import { deepEqual } from './diff-attributes.js';
import type { RawResourceChange, ValueMask } from './plan-model.js';
import {
  ACCESS_CONTROL_TYPES,
  DANGEROUS_ATTRIBUTES,
  DISPOSABLE_TYPES,
  FIREWALL_TYPES,
  OPEN_CIDRS,
  SENSITIVE_PORTS,
  STATEFUL_CATEGORIES,
  TAG_ATTRIBUTES,
  type StatefulCategory,
} from './risk-catalog.js';
import type { RiskConfig, RiskRule, RiskRuleAction } from './risk-config.js';
import { DEFAULT_MANY_CHANGES_THRESHOLD } from './risk-config.js';
import { isImporting, isMoved } from './summarize-plan.js';
import { childMask, hasAnyMask } from './value-mask.js';

export interface RiskFinding {
  level: RiskLevel;
  reasons: string[];
}

interface TypeProfile {
  stateful?: StatefulCategory;
  disposable: boolean;
  accessControl: boolean;
  firewall: boolean;
}

const statefulMatchers = STATEFUL_CATEGORIES.map((category) => ({ category, match: picomatch(category.types) }));
const isDisposableType = picomatch(DISPOSABLE_TYPES.types);
const isAccessControlType = picomatch(ACCESS_CONTROL_TYPES.types);
const isFirewallType = picomatch(FIREWALL_TYPES.types);
const TAG_SET = new Set(TAG_ATTRIBUTES);

/** Built once per analysis: compiled user rules and a per-type cache of catalogue lookups. */
export class RiskEvaluator {
  private readonly profiles = new Map<string, TypeProfile>();
  private readonly userRules: { rule: RiskRule; matchType: (type: string) => boolean; pattern?: RegExp }[];
  readonly manyChangesThreshold: number;

  constructor(config?: Partial<RiskConfig>) {
    this.manyChangesThreshold = config?.many_changes_threshold ?? DEFAULT_MANY_CHANGES_THRESHOLD;
    this.userRules = (config?.rules ?? []).map((rule) => ({
      rule,
      matchType: picomatch(rule.type),
      pattern: rule.attribute?.matches === undefined ? undefined : new RegExp(rule.attribute.matches),
    }));
  }

  private profile(type: string): TypeProfile {
    let profile = this.profiles.get(type);
    if (!profile) {
      profile = {
        stateful: statefulMatchers.find((entry) => entry.match(type))?.category,
        disposable: isDisposableType(type),
        accessControl: isAccessControlType(type),
        firewall: isFirewallType(type),
      };
      this.profiles.set(type, profile);
    }
    return profile;
  }

  evaluateChange(resource: RawResourceChange, action: ChangeAction): RiskFinding {
    const findings: { level: RiskLevel; reason: string }[] = [];
    const add = (level: RiskLevel, reason: string): void => {
      findings.push({ level, reason });
    };
    const type = resource.type ?? '';
    const address = resource.deposed ? `${resource.address} (deposed object ${resource.deposed})` : resource.address;
    const profile = this.profile(type);
    const change = resource.change;

    if (resource.mode === 'data') {
      // Reading a data source changes nothing.
      if (action === 'read') add('none', `reads data source ${address}`);
    } else {
      switch (action) {
        case 'delete':
        case 'replace':
        case 'replace-create-first': {
          const verb = action === 'delete' ? 'deletes' : action === 'replace' ? 'replaces (destroys, then creates)' : 'replaces (creates, then destroys)';
          const forcedBy = action === 'delete' ? '' : replaceCause(change.replace_paths);
          if (resource.deposed) {
            add(profile.stateful ? 'critical' : 'high', `deletes ${address}, left over from a failed replacement${profile.stateful ? `: ${profile.stateful.what}; ${profile.stateful.consequence}` : ''}`);
          } else if (profile.stateful) {
            add('critical', `${verb} ${address}${forcedBy}: ${profile.stateful.what}; ${profile.stateful.consequence}`);
          } else if (profile.disposable) {
            add('medium', `${verb} ${address}${forcedBy} (${type} holds no data)`);
          } else {
            add('high', `${verb} ${address}${forcedBy}`);
          }
          break;
        }
        case 'create':
          add('low', `creates ${address}`);
          break;
        case 'create-forget':
          add('low', `creates a new ${address}; the old object is left in place, no longer managed`);
          break;
        case 'forget':
          add('low', `stops managing ${address}; the object stays but Terraform no longer tracks it`);
          break;
        case 'update':
          if (isTagOnlyUpdate(change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive)) {
            add('none', `updates only the tags or labels of ${address}`);
          } else if (profile.stateful) {
            add('medium', `updates ${address} in place: ${profile.stateful.what}; an in-place change can restart it or alter its data`);
          } else {
            add('low', `updates ${address} in place`);
          }
          break;
        case 'no-op':
          if (isMoved(resource)) add('low', `moves ${resource.previous_address} to ${address} in the state; no infrastructure change`);
          if (isImporting(resource)) add('low', `imports an existing object into ${address}`);
          break;
        case 'read':
          add('none', `reads ${address}`);
          break;
        case 'unknown':
          add('medium', `${address} has actions infra-review does not know (${change.actions.join(', ')}): review it by hand`);
          break;
      }
      const mutates = action !== 'no-op' && action !== 'read';
      if (profile.accessControl && mutates) {
        add('high', `${actionVerb(action)} ${address}: changes who may access what (IAM, role, policy or permission)`);
      }
      if (profile.firewall && mutates) {
        add('medium', `${actionVerb(action)} ${address}: changes firewall or security-group rules`);
        if (action !== 'delete' && action !== 'forget') {
          for (const opening of newInternetIngress(type, change.before, change.after)) {
            add(opening.level, `${address} ${opening.description}`);
          }
        }
      }
      if (action === 'create' || action === 'update' || action === 'replace' || action === 'replace-create-first' || action === 'create-forget') {
        for (const finding of dangerousAttributeChanges(change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive, action)) {
          add(finding.level, `${actionVerb(action)} ${address}: ${finding.reason}`);
        }
      }
    }

    let level: RiskLevel = 'none';
    const reasons: string[] = [];
    for (const finding of findings) {
      if (compareRisk(finding.level, level) > 0) level = finding.level;
      // "none" findings only speak when nothing else does
      if (finding.level !== 'none' || findings.length === 1) reasons.push(finding.reason);
    }

    const userRule = this.lastMatchingUserRule(resource, action);
    if (userRule) {
      const direction = compareRisk(userRule.level, level) > 0 ? 'raises' : compareRisk(userRule.level, level) < 0 ? 'lowers' : 'keeps';
      reasons.push(`${userRule.reason} (rule for "${userRule.type}" in .github/infra-review.yml ${direction} the level ${direction === 'keeps' ? 'at' : 'from ' + level + ' to'} ${userRule.level})`);
      level = userRule.level;
    }
    return { level, reasons };
  }

  private lastMatchingUserRule(resource: RawResourceChange, action: ChangeAction): RiskRule | undefined {
    if (this.userRules.length === 0) return undefined;
    const kinds = ruleActionsOf(resource, action);
    let matched: RiskRule | undefined;
    for (const { rule, matchType, pattern } of this.userRules) {
      if (!matchType(resource.type ?? '')) continue;
      if (rule.actions && !rule.actions.some((a) => kinds.has(a))) continue;
      if (rule.attribute && !attributeMatches(resource, action, rule.attribute, pattern)) continue;
      matched = rule;
    }
    return matched;
  }
}

function actionVerb(action: ChangeAction): string {
  switch (action) {
    case 'create':
    case 'create-forget':
      return 'creates';
    case 'update':
      return 'updates';
    case 'delete':
      return 'deletes';
    case 'replace':
    case 'replace-create-first':
      return 'replaces';
    case 'forget':
      return 'forgets';
    case 'read':
      return 'reads';
    default:
      return 'changes';
  }
}

/** Attribute names (never values) whose change forces the replacement. */
function replaceCause(paths: unknown): string {
  if (!Array.isArray(paths) || paths.length === 0) return '';
  const names = new Set<string>();
  for (const path of paths) {
    if (Array.isArray(path) && typeof path[0] === 'string') names.add(path[0]);
  }
  if (names.size === 0) return '';
  const list = [...names].slice(0, 5);
  return ` (forced by a change to ${list.join(', ')}${names.size > list.length ? ', ...' : ''})`;
}

export function ruleActionsOf(resource: RawResourceChange, action: ChangeAction): Set<RiskRuleAction> {
  const kinds = new Set<RiskRuleAction>();
  switch (action) {
    case 'create':
      kinds.add('create');
      break;
    case 'update':
      kinds.add('update');
      break;
    case 'delete':
      kinds.add('delete');
      break;
    case 'replace':
    case 'replace-create-first':
      kinds.add('replace');
      break;
    case 'read':
      kinds.add('read');
      break;
    case 'forget':
      kinds.add('forget');
      break;
    case 'create-forget':
      kinds.add('create');
      kinds.add('forget');
      break;
    default:
      break;
  }
  if (isImporting(resource)) kinds.add('import');
  if (isMoved(resource)) kinds.add('move');
  return kinds;
}

function valueAtPath(value: unknown, unknownMask: ValueMask, path: string[]): { found: boolean; unknown: boolean; value?: unknown } {
  let current = value;
  let mask = unknownMask;
  for (const segment of path) {
    if (mask === true) return { found: true, unknown: true };
    if (Array.isArray(current)) {
      const index = Number(segment);
      if (!Number.isInteger(index)) return { found: false, unknown: false };
      current = current[index];
      mask = childMask(mask, index);
    } else if (current !== null && typeof current === 'object') {
      current = (current as Record<string, unknown>)[segment];
      mask = childMask(mask, segment);
    } else {
      return { found: false, unknown: false };
    }
  }
  if (mask === true) return { found: true, unknown: true };
  return { found: current !== undefined && current !== null, unknown: false, value: current };
}

function attributeMatches(resource: RawResourceChange, action: ChangeAction, condition: NonNullable<RiskRule['attribute']>, pattern: RegExp | undefined): boolean {
  const change = resource.change;
  // A delete has no "after": a rule about attributes then looks at what is being deleted.
  const useBefore = action === 'delete' || action === 'forget';
  const probe = valueAtPath(useBefore ? change.before : change.after, useBefore ? undefined : change.after_unknown, condition.path.split('.'));
  // An unknown value cannot be shown to match: the rule does not apply (its reason would be a guess).
  if (probe.unknown || !probe.found) return false;
  const value = probe.value;
  if (condition.equals !== undefined && !deepEqual(value, condition.equals)) return false;
  if (condition.in !== undefined && !condition.in.some((candidate) => deepEqual(value, candidate))) return false;
  if (pattern) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
    pattern.lastIndex = 0;
    if (!pattern.test(String(value))) return false;
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Does the update touch nothing but tags/labels? */
function isTagOnlyUpdate(before: unknown, after: unknown, afterUnknown: ValueMask, beforeSensitive: ValueMask, afterSensitive: ValueMask): boolean {
  if (!isRecord(before) || !isRecord(after)) return false;
  let tagChanged = false;
  const check = (key: string): boolean => {
    const changed =
      hasAnyMask(childMask(afterUnknown, key)) ||
      hasAnyMask(childMask(beforeSensitive, key)) !== hasAnyMask(childMask(afterSensitive, key)) ||
      !deepEqual(before[key] ?? null, after[key] ?? null);
    if (!changed) return true;
    if (!TAG_SET.has(key)) return false;
    tagChanged = true;
    return true;
  };
  for (const key in after) if (!check(key)) return false;
  for (const key in before) if (!(key in after) && !check(key)) return false;
  if (isRecord(afterUnknown)) for (const key in afterUnknown) if (!(key in after) && !(key in before) && !check(key)) return false;
  return tagChanged;
}

function dangerousAttributeChanges(
  before: unknown,
  after: unknown,
  afterUnknown: ValueMask,
  beforeSensitive: ValueMask,
  afterSensitive: ValueMask,
  action: ChangeAction,
): { level: RiskLevel; reason: string }[] {
  if (!isRecord(after)) return [];
  const found: { level: RiskLevel; reason: string }[] = [];
  const existed = isRecord(before) && action !== 'create';
  for (const entry of DANGEROUS_ATTRIBUTES) {
    if (!(entry.attribute in after)) continue;
    if (hasAnyMask(childMask(afterUnknown, entry.attribute))) continue;
    const value = after[entry.attribute];
    if (!deepEqual(value, entry.dangerous)) continue;
    const previous = existed ? (before as Record<string, unknown>)[entry.attribute] : undefined;
    if (existed && deepEqual(previous, entry.dangerous)) continue; // already dangerous: nothing turns
    if (entry.when === 'transition' && (!existed || previous === undefined || previous === null)) continue;
    const sensitive = hasAnyMask(childMask(afterSensitive, entry.attribute)) || hasAnyMask(childMask(beforeSensitive, entry.attribute));
    // The catalogue's constant, not the plan's value, is what we print; for a sensitive attribute not even that.
    const shown = sensitive ? `${entry.attribute} (sensitive value) changes to a dangerous value` : `${entry.attribute} = ${JSON.stringify(entry.dangerous)}`;
    found.push({ level: entry.level, reason: `${shown} ${entry.reason}` });
  }
  return found;
}

interface Exposure {
  cidr: string;
  from: number;
  to: number;
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function portNumber(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return fallback;
}

const ALL_PROTOCOLS = new Set(['-1', 'all', '*', 'any']);

function awsRange(rule: Record<string, unknown>, protocolKey: string): { from: number; to: number } {
  const protocol = String(rule[protocolKey] ?? '').toLowerCase();
  if (ALL_PROTOCOLS.has(protocol)) return { from: 0, to: 65535 };
  const from = portNumber(rule.from_port, 0);
  const to = portNumber(rule.to_port, 65535);
  // AWS writes "all ports" as 0-0 with protocol -1, or -1/-1 for ICMP; neither opens a TCP port.
  return { from, to };
}

function azureRanges(rule: Record<string, unknown>): { from: number; to: number }[] {
  const specs = [...asStrings(rule.destination_port_range), ...asStrings(rule.destination_port_ranges)];
  return specs.map((spec) => {
    if (spec === '*') return { from: 0, to: 65535 };
    const [low, high] = spec.split('-');
    return { from: portNumber(low, 0), to: portNumber(high ?? low, 65535) };
  });
}

const AZURE_ANYWHERE = new Set(['*', '0.0.0.0/0', '::/0', 'internet', 'any']);

/** Where the resource admits traffic from anywhere: (cidr, port range) pairs. */
function internetIngress(type: string, value: unknown): Exposure[] {
  if (!isRecord(value)) return [];
  const out: Exposure[] = [];
  const fromAws = (rule: Record<string, unknown>, cidrKeys: string[], protocolKey: string): void => {
    const cidrs = cidrKeys.flatMap((key) => asStrings(rule[key])).filter((c) => OPEN_CIDRS.includes(c));
    if (cidrs.length === 0) return;
    const range = awsRange(rule, protocolKey);
    for (const cidr of cidrs) out.push({ cidr, ...range });
  };
  const fromAzure = (rule: Record<string, unknown>): void => {
    if (String(rule.direction ?? '').toLowerCase() !== 'inbound' || String(rule.access ?? '').toLowerCase() !== 'allow') return;
    const sources = [...asStrings(rule.source_address_prefix), ...asStrings(rule.source_address_prefixes)].filter((s) => AZURE_ANYWHERE.has(s.toLowerCase()));
    if (sources.length === 0) return;
    const protocol = String(rule.protocol ?? '').toLowerCase();
    const ranges = ALL_PROTOCOLS.has(protocol) && azureRanges(rule).length === 0 ? [{ from: 0, to: 65535 }] : azureRanges(rule);
    for (const source of sources) for (const range of ranges) out.push({ cidr: source, ...range });
  };
  switch (type) {
    case 'aws_security_group':
    case 'aws_default_security_group':
      for (const rule of Array.isArray(value.ingress) ? value.ingress : []) {
        if (isRecord(rule)) fromAws(rule, ['cidr_blocks', 'ipv6_cidr_blocks'], 'protocol');
      }
      break;
    case 'aws_security_group_rule':
      if (value.type === 'ingress') fromAws(value, ['cidr_blocks', 'ipv6_cidr_blocks'], 'protocol');
      break;
    case 'aws_vpc_security_group_ingress_rule':
      fromAws(value, ['cidr_ipv4', 'cidr_ipv6'], 'ip_protocol');
      break;
    case 'aws_network_acl_rule':
      if (value.egress !== true && String(value.rule_action ?? '').toLowerCase() === 'allow') fromAws(value, ['cidr_block', 'ipv6_cidr_block'], 'protocol');
      break;
    case 'aws_network_acl':
    case 'aws_default_network_acl':
      for (const rule of Array.isArray(value.ingress) ? value.ingress : []) {
        if (isRecord(rule) && String(rule.action ?? '').toLowerCase() === 'allow') fromAws(rule, ['cidr_block', 'ipv6_cidr_block'], 'protocol');
      }
      break;
    case 'google_compute_firewall': {
      const direction = String(value.direction ?? 'INGRESS').toUpperCase();
      const sources = asStrings(value.source_ranges).filter((c) => OPEN_CIDRS.includes(c));
      if (direction !== 'INGRESS' || sources.length === 0) break;
      for (const allow of Array.isArray(value.allow) ? value.allow : []) {
        if (!isRecord(allow)) continue;
        const ports = asStrings(allow.ports);
        const ranges = ports.length === 0 ? [{ from: 0, to: 65535 }] : ports.map((p) => {
          const [low, high] = p.split('-');
          return { from: portNumber(low, 0), to: portNumber(high ?? low, 65535) };
        });
        for (const cidr of sources) for (const range of ranges) out.push({ cidr, ...range });
      }
      break;
    }
    case 'azurerm_network_security_rule':
      fromAzure(value);
      break;
    case 'azurerm_network_security_group':
      for (const rule of Array.isArray(value.security_rule) ? value.security_rule : []) if (isRecord(rule)) fromAzure(rule);
      break;
    default:
      break;
  }
  return out;
}

function exposureKey(e: Exposure): string {
  return `${e.cidr}|${e.from}|${e.to}`;
}

/** Ingress from anywhere that the change adds (present after, absent before). */
export function newInternetIngress(type: string, before: unknown, after: unknown): { level: RiskLevel; description: string }[] {
  const existing = new Set(internetIngress(type, before).map(exposureKey));
  const results: { level: RiskLevel; description: string }[] = [];
  const seen = new Set<string>();
  for (const exposure of internetIngress(type, after)) {
    const key = exposureKey(exposure);
    if (existing.has(key) || seen.has(key)) continue;
    seen.add(key);
    const sensitive = Object.entries(SENSITIVE_PORTS.ports)
      .filter(([port]) => Number(port) >= exposure.from && Number(port) <= exposure.to)
      .map(([port, name]) => `${name} (${port})`);
    const ports = exposure.from === exposure.to ? `port ${exposure.from}` : exposure.from === 0 && exposure.to >= 65535 ? 'all ports' : `ports ${exposure.from}-${exposure.to}`;
    if (sensitive.length > 0) {
      const list = sensitive.length > 3 ? `${sensitive.slice(0, 3).join(', ')} and ${sensitive.length - 3} more` : sensitive.join(', ');
      results.push({ level: 'critical', description: `opens ${ports} to the whole internet (${exposure.cidr}), including ${list}` });
    } else {
      results.push({ level: 'high', description: `opens ${ports} to the whole internet (${exposure.cidr})` });
    }
  }
  return results;
}
