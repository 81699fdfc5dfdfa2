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
  DEFAULT_MANY_CHANGES_THRESHOLD,
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

/** A pattern without any glob syntax: picomatch matches it against exactly itself. */
const PLAIN_TYPE = /^[A-Za-z0-9_-]+$/;

/**
 * A matcher for a catalogue list: most entries are plain type names, looked up in a Set; only the
 * globs go through picomatch. Same answers as `picomatch(types)`, without a regular expression per
 * plain name (each compiled one costs memory once it runs).
 */
export function catalogueTypeMatcher(types: readonly string[]): (type: string) => boolean {
  const plain = new Set(types.filter((type) => PLAIN_TYPE.test(type)));
  const globs = types.filter((type) => !PLAIN_TYPE.test(type));
  const matchGlob = globs.length > 0 ? picomatch(globs) : undefined;
  return (type) => plain.has(type) || (matchGlob !== undefined && matchGlob(type));
}

const statefulMatchers = STATEFUL_CATEGORIES.map((category) => ({ category, match: catalogueTypeMatcher(category.types) }));
const isDisposableType = catalogueTypeMatcher(DISPOSABLE_TYPES.types);
const isAccessControlType = catalogueTypeMatcher(ACCESS_CONTROL_TYPES.types);
const isFirewallType = catalogueTypeMatcher(FIREWALL_TYPES.types);
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
    const acc: Accumulator = { level: 'none', reasons: [], noneReason: undefined };
    const type = resource.type ?? '';
    const address = resource.deposed ? `${resource.address} (deposed object ${resource.deposed})` : resource.address;
    const profile = this.profile(type);
    const change = resource.change;

    if (resource.mode === 'data') {
      // Reading a data source changes nothing.
      if (action === 'read') add(acc, 'none', `reads data source ${address}`);
    } else {
      switch (action) {
        case 'delete':
        case 'replace':
        case 'replace-create-first': {
          const verb = action === 'delete' ? 'deletes' : action === 'replace' ? 'replaces (destroys, then creates)' : 'replaces (creates, then destroys)';
          const forcedBy = action === 'delete' ? '' : replaceCause(change.replace_paths);
          if (resource.deposed) {
            add(acc, profile.stateful ? 'critical' : 'high', `deletes ${address}, left over from a failed replacement${profile.stateful ? `: ${profile.stateful.what}; ${profile.stateful.consequence}` : ''}`);
          } else if (profile.stateful) {
            add(acc, 'critical', `${verb} ${address}${forcedBy}: ${profile.stateful.what}; ${profile.stateful.consequence}`);
          } else if (profile.disposable) {
            add(acc, 'medium', `${verb} ${address}${forcedBy} (${type} holds no data)`);
          } else {
            add(acc, 'high', `${verb} ${address}${forcedBy}`);
          }
          break;
        }
        case 'create':
          add(acc, 'low', `creates ${address}`);
          break;
        case 'create-forget':
          add(acc, 'low', `creates a new ${address}; the old object is left in place, no longer managed`);
          break;
        case 'forget':
          add(acc, 'low', `stops managing ${address}; the object stays but Terraform no longer tracks it`);
          break;
        case 'update':
          if (isTagOnlyUpdate(change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive)) {
            add(acc, 'none', `updates only the tags or labels of ${address}`);
          } else if (profile.stateful) {
            add(acc, 'medium', `updates ${address} in place: ${profile.stateful.what}; an in-place change can restart it or alter its data`);
          } else {
            add(acc, 'low', `updates ${address} in place`);
          }
          break;
        case 'no-op':
          if (isMoved(resource)) add(acc, 'low', `moves ${resource.previous_address} to ${address} in the state; no infrastructure change`);
          if (isImporting(resource)) add(acc, 'low', `imports an existing object into ${address}`);
          break;
        case 'read':
          add(acc, 'none', `reads ${address}`);
          break;
        case 'unknown':
          add(acc, 'medium', `${address} has actions infra-review does not know (${change.actions.join(', ')}): review it by hand`);
          break;
      }
      const mutates = action !== 'no-op' && action !== 'read';
      if (profile.accessControl && mutates) {
        add(acc, 'high', `${actionVerb(action)} ${address}: changes who may access what (IAM, role, policy or permission)`);
      }
      if (profile.firewall && mutates) {
        add(acc, 'medium', `${actionVerb(action)} ${address}: changes firewall or security-group rules`);
        if (action !== 'delete' && action !== 'forget') {
          for (const opening of newInternetIngress(type, change.before, change.after)) {
            add(acc, opening.level, `${address} ${opening.description}`);
          }
        }
      }
      if (action === 'create' || action === 'update' || action === 'replace' || action === 'replace-create-first' || action === 'create-forget') {
        addDangerousAttributeChanges(acc, address, change.before, change.after, change.after_unknown, change.before_sensitive, change.after_sensitive, action);
      }
    }

    let level = acc.level;
    const reasons = acc.reasons;
    // A "none" finding only speaks when nothing else does.
    if (reasons.length === 0 && acc.noneReason !== undefined) reasons.push(acc.noneReason);

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

interface Accumulator {
  level: RiskLevel;
  reasons: string[];
  noneReason: string | undefined;
}

function add(acc: Accumulator, level: RiskLevel, reason: string): void {
  if (level === 'none') {
    acc.noneReason ??= reason;
    return;
  }
  if (compareRisk(level, acc.level) > 0) acc.level = level;
  acc.reasons.push(reason);
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
  for (const key in after) {
    const verdict = tagVerdict(key, before, after, afterUnknown, beforeSensitive, afterSensitive);
    if (verdict === 'other') return false;
    if (verdict === 'tag') tagChanged = true;
  }
  for (const key in before) {
    if (key in after) continue;
    const verdict = tagVerdict(key, before, after, afterUnknown, beforeSensitive, afterSensitive);
    if (verdict === 'other') return false;
    if (verdict === 'tag') tagChanged = true;
  }
  if (isRecord(afterUnknown)) {
    for (const key in afterUnknown) {
      if (key in after || key in before) continue;
      const verdict = tagVerdict(key, before, after, afterUnknown, beforeSensitive, afterSensitive);
      if (verdict === 'other') return false;
      if (verdict === 'tag') tagChanged = true;
    }
  }
  return tagChanged;
}

function tagVerdict(
  key: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  afterUnknown: ValueMask,
  beforeSensitive: ValueMask,
  afterSensitive: ValueMask,
): 'same' | 'tag' | 'other' {
  const changed =
    hasAnyMask(childMask(afterUnknown, key)) ||
    hasAnyMask(childMask(beforeSensitive, key)) !== hasAnyMask(childMask(afterSensitive, key)) ||
    !deepEqual(before[key] ?? null, after[key] ?? null);
  if (!changed) return 'same';
  return TAG_SET.has(key) ? 'tag' : 'other';
}

function addDangerousAttributeChanges(
  acc: Accumulator,
  address: string,
  before: unknown,
  after: unknown,
  afterUnknown: ValueMask,
  beforeSensitive: ValueMask,
  afterSensitive: ValueMask,
  action: ChangeAction,
): void {
  if (!isRecord(after)) return;
  const existed = isRecord(before) && action !== 'create';
  for (const entry of DANGEROUS_ATTRIBUTES) {
    if (!(entry.attribute in after)) continue;
    const value = after[entry.attribute];
    if (value !== entry.dangerous && !deepEqual(value, entry.dangerous)) continue;
    if (hasAnyMask(childMask(afterUnknown, entry.attribute))) continue;
    const previous = existed ? (before as Record<string, unknown>)[entry.attribute] : undefined;
    if (existed && deepEqual(previous, entry.dangerous)) continue; // already dangerous: nothing turns
    if (entry.when === 'transition' && (!existed || previous === undefined || previous === null)) continue;
    const sensitive = hasAnyMask(childMask(afterSensitive, entry.attribute)) || hasAnyMask(childMask(beforeSensitive, entry.attribute));
    // The catalogue's constant, not the plan's value, is what we print; for a sensitive attribute not even that.
    const shown = sensitive ? `${entry.attribute} (sensitive value) changes to a dangerous value` : `${entry.attribute} = ${JSON.stringify(entry.dangerous)}`;
    add(acc, entry.level, `${actionVerb(action)} ${address}: ${shown} ${entry.reason}`);
  }
}

interface Exposure {
  cidr: string;
  from: number;
  to: number;
}

const OPEN_CIDR_SET = new Set(OPEN_CIDRS);
const ALL_PROTOCOLS = new Set(['-1', 'all', '*', 'any']);
const AZURE_ANYWHERE = new Set(['*', '0.0.0.0/0', '::/0', 'internet', 'any']);

function portNumber(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return fallback;
}

function portRange(spec: string): { from: number; to: number } {
  if (spec === '*') return { from: 0, to: 65535 };
  const dash = spec.indexOf('-');
  const low = dash < 0 ? spec : spec.slice(0, dash);
  const high = dash < 0 ? spec : spec.slice(dash + 1);
  return { from: portNumber(low, 0), to: portNumber(high, 65535) };
}

/** The open CIDRs among a string or list of strings; allocates only when one is found. */
function openCidrs(value: unknown, anywhere: Set<string>, lowerCase: boolean, into: string[] | undefined): string[] | undefined {
  if (typeof value === 'string') {
    if (anywhere.has(lowerCase ? value.toLowerCase() : value)) (into ??= []).push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string' && anywhere.has(lowerCase ? item.toLowerCase() : item)) (into ??= []).push(item);
    }
  }
  return into;
}

/** An AWS-style rule (security group, SG rule, NACL): open CIDRs x its port range. */
function awsExposures(rule: Record<string, unknown>, cidrKeyA: string, cidrKeyB: string, protocolKey: string, out: Exposure[] | undefined): Exposure[] | undefined {
  let cidrs = openCidrs(rule[cidrKeyA], OPEN_CIDR_SET, false, undefined);
  cidrs = openCidrs(rule[cidrKeyB], OPEN_CIDR_SET, false, cidrs);
  if (!cidrs) return out;
  const protocol = String(rule[protocolKey] ?? '').toLowerCase();
  // AWS writes "all traffic" as protocol -1 (ports 0-0).
  const from = ALL_PROTOCOLS.has(protocol) ? 0 : portNumber(rule.from_port, 0);
  const to = ALL_PROTOCOLS.has(protocol) ? 65535 : portNumber(rule.to_port, 65535);
  out ??= [];
  for (const cidr of cidrs) out.push({ cidr, from, to });
  return out;
}

function azureExposures(rule: Record<string, unknown>, out: Exposure[] | undefined): Exposure[] | undefined {
  if (String(rule.direction ?? '').toLowerCase() !== 'inbound' || String(rule.access ?? '').toLowerCase() !== 'allow') return out;
  let sources = openCidrs(rule.source_address_prefix, AZURE_ANYWHERE, true, undefined);
  sources = openCidrs(rule.source_address_prefixes, AZURE_ANYWHERE, true, sources);
  if (!sources) return out;
  const ranges: { from: number; to: number }[] = [];
  for (const key of ['destination_port_range', 'destination_port_ranges']) {
    const value = rule[key];
    if (typeof value === 'string') ranges.push(portRange(value));
    else if (Array.isArray(value)) for (const item of value) if (typeof item === 'string') ranges.push(portRange(item));
  }
  if (ranges.length === 0 && ALL_PROTOCOLS.has(String(rule.protocol ?? '').toLowerCase())) ranges.push({ from: 0, to: 65535 });
  out ??= [];
  for (const cidr of sources) for (const range of ranges) out.push({ cidr, ...range });
  return out;
}

function googleExposures(value: Record<string, unknown>, out: Exposure[] | undefined): Exposure[] | undefined {
  if (String(value.direction ?? 'INGRESS').toUpperCase() !== 'INGRESS') return out;
  const sources = openCidrs(value.source_ranges, OPEN_CIDR_SET, false, undefined);
  if (!sources || !Array.isArray(value.allow)) return out;
  out ??= [];
  for (const allow of value.allow) {
    if (!isRecord(allow)) continue;
    const ports = Array.isArray(allow.ports) ? allow.ports.filter((p): p is string => typeof p === 'string') : [];
    const ranges = ports.length === 0 ? [{ from: 0, to: 65535 }] : ports.map(portRange);
    for (const cidr of sources) for (const range of ranges) out.push({ cidr, ...range });
  }
  return out;
}

const NO_EXPOSURE: readonly Exposure[] = Object.freeze([]);

/** Where the resource admits traffic from anywhere: (cidr, port range) pairs. */
function internetIngress(type: string, value: unknown): readonly Exposure[] {
  if (!isRecord(value)) return NO_EXPOSURE;
  let out: Exposure[] | undefined;
  switch (type) {
    case 'aws_security_group':
    case 'aws_default_security_group':
      if (Array.isArray(value.ingress)) for (const rule of value.ingress) if (isRecord(rule)) out = awsExposures(rule, 'cidr_blocks', 'ipv6_cidr_blocks', 'protocol', out);
      break;
    case 'aws_security_group_rule':
      if (value.type === 'ingress') out = awsExposures(value, 'cidr_blocks', 'ipv6_cidr_blocks', 'protocol', out);
      break;
    case 'aws_vpc_security_group_ingress_rule':
      out = awsExposures(value, 'cidr_ipv4', 'cidr_ipv6', 'ip_protocol', out);
      break;
    case 'aws_network_acl_rule':
      if (value.egress !== true && String(value.rule_action ?? '').toLowerCase() === 'allow') out = awsExposures(value, 'cidr_block', 'ipv6_cidr_block', 'protocol', out);
      break;
    case 'aws_network_acl':
    case 'aws_default_network_acl':
      if (Array.isArray(value.ingress)) {
        for (const rule of value.ingress) {
          if (isRecord(rule) && String(rule.action ?? '').toLowerCase() === 'allow') out = awsExposures(rule, 'cidr_block', 'ipv6_cidr_block', 'protocol', out);
        }
      }
      break;
    case 'google_compute_firewall':
      out = googleExposures(value, out);
      break;
    case 'azurerm_network_security_rule':
      out = azureExposures(value, out);
      break;
    case 'azurerm_network_security_group':
      if (Array.isArray(value.security_rule)) for (const rule of value.security_rule) if (isRecord(rule)) out = azureExposures(rule, out);
      break;
    default:
      break;
  }
  return out ?? NO_EXPOSURE;
}

function exposureKey(e: Exposure): string {
  return `${e.cidr}|${e.from}|${e.to}`;
}

/** Ingress from anywhere that the change adds (present after, absent before). */
export function newInternetIngress(type: string, before: unknown, after: unknown): { level: RiskLevel; description: string }[] {
  const results: { level: RiskLevel; description: string }[] = [];
  const opened = internetIngress(type, after);
  if (opened.length === 0) return results;
  const existing = new Set(internetIngress(type, before).map(exposureKey));
  const seen = new Set<string>();
  for (const exposure of opened) {
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
