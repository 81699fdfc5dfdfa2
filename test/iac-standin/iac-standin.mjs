#!/usr/bin/env node
// A TEST DOUBLE for the terraform/tofu CLI (see README.md next to this file). It never talks to a cloud:
// resources live only in ./terraform.tfstate. Production code runs whatever binary is configured.
import { randomUUID, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

const VERSIONS = { terraform: '1.9.8', tofu: '1.8.5' };
const PRODUCT = { terraform: 'Terraform', tofu: 'OpenTofu' };
const REGISTRY = { terraform: 'registry.terraform.io', tofu: 'registry.opentofu.org' };
const PLAN_MARKER = 'infra_review_iac_standin_plan';
const STATE_FILE = 'terraform.tfstate';

/**
 * Attributes whose change forces replacement instead of an in-place update: `TYPE.ATTR`, where TYPE may
 * start with `*` to match a suffix (`*_instance.ami`) or be `*` alone. Overridable with
 * IAC_STANDIN_FORCES_REPLACEMENT (comma-separated, same syntax).
 */
const DEFAULT_FORCES_REPLACEMENT = ['*.name', '*_instance.ami', '*_instance.availability_zone'];

/** Attributes of the resource block that are meta-arguments, not provider attributes. */
const META_ARGUMENTS = new Set(['depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);

class CliExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

class Unknown {
  toJSON() {
    return null;
  }
}
const UNKNOWN = new Unknown();

export async function main(flavor, argv = process.argv.slice(2)) {
  const io = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
  let code;
  try {
    code = await run(flavor, argv, io);
  } catch (error) {
    if (error instanceof CliExit) code = error.code;
    else {
      io.err(`stand-in crashed: ${error instanceof Error ? error.stack : String(error)}\n`);
      code = 1;
    }
  }
  // The HCL parser's Go runtime keeps the event loop busy for a while, so exit explicitly, but only once
  // stdout and stderr are flushed: a pipe write larger than the pipe buffer completes asynchronously,
  // and exiting at once truncated a large `show -json`.
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
  process.exit(code);
}

async function run(flavor, argv, io) {
  const env = process.env;
  let args = [...argv];
  let cwd = process.cwd();
  while (args[0]?.startsWith('-chdir=')) {
    cwd = path.resolve(cwd, args[0].slice('-chdir='.length));
    args = args.slice(1);
  }
  logInvocation(flavor, argv, cwd);
  const [command, ...rest] = args;
  const ctx = { flavor, cwd, env, io, version: VERSIONS[flavor], product: PRODUCT[flavor], registry: REGISTRY[flavor] };

  if (command === undefined || command === '-help' || command === '--help' || command === '-h') {
    io.out(`Usage: ${flavor} [global options] <subcommand> [args]\n\n  init, plan, show, apply, version\n`);
    return command === undefined ? 127 : 0;
  }
  if (command === 'version' || command === '-version' || command === '--version' || command === '-v') {
    return version(ctx, rest);
  }
  if (!['init', 'plan', 'show', 'apply'].includes(command)) {
    io.err(`${ctx.product} has no command named "${command}".\n\nTo see all of ${ctx.product}'s top-level commands, run:\n  ${flavor} -help\n\n`);
    return 1;
  }
  const hang = injectedBehaviour(ctx, command);
  if (hang) return hang;
  switch (command) {
    case 'init':
      return init(ctx, rest);
    case 'plan':
      return plan(ctx, rest);
    case 'show':
      return show(ctx, rest);
    case 'apply':
      return apply(ctx, rest);
  }
  return 1;
}

// ---------------------------------------------------------------------------------------------------
// Test switches and logging

function listEnv(value) {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function injectedBehaviour(ctx, command) {
  if (listEnv(ctx.env.IAC_STANDIN_FAIL).includes(command)) {
    diagnostic(ctx, 'Injected failure', `IAC_STANDIN_FAIL=${ctx.env.IAC_STANDIN_FAIL} asked the stand-in to fail "${command}".`);
    throw new CliExit(1);
  }
  if (listEnv(ctx.env.IAC_STANDIN_HANG).includes(command)) {
    if (ctx.env.IAC_STANDIN_IGNORE_SIGTERM) process.on('SIGTERM', () => ctx.io.err('stand-in: ignoring SIGTERM\n'));
    ctx.io.out(`stand-in: hanging in ${command} until killed (IAC_STANDIN_HANG)\n`);
    // The interval keeps the process alive; the promise never settles, so only a signal ends it.
    setInterval(() => undefined, 1 << 30);
    return new Promise(() => undefined);
  }
  return undefined;
}

function logInvocation(flavor, argv, cwd) {
  const file = process.env.IAC_STANDIN_LOG;
  if (!file) return;
  const entry = {
    flavor,
    argv,
    cwd,
    tfInAutomation: process.env.TF_IN_AUTOMATION !== undefined,
    tfInput: process.env.TF_INPUT ?? null,
    pluginCacheDir: process.env.TF_PLUGIN_CACHE_DIR ?? null,
  };
  fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Output helpers

/** Terraform's boxed diagnostic, e.g. "Error: Invalid expression" with "on main.tf line 2". */
function diagnostic(ctx, summary, detail, where) {
  const lines = ['', `Error: ${summary}`, ''];
  if (where) {
    lines.push(`  on ${where.file} line ${where.line}${where.context ? `, ${where.context}` : ''}:`);
    if (where.source !== undefined) lines.push(`  ${String(where.line).padStart(3)}: ${where.source}`);
    lines.push('');
  }
  if (detail) lines.push(...detail.split('\n'));
  const boxed = lines.slice(1).map((line, index) => (index === 0 ? `╷\n│ ${line}` : `│ ${line}`.trimEnd()));
  ctx.io.err(`${boxed.join('\n')}\n╵\n`);
}

function parseFlags(ctx, args, spec) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const kind = spec[name];
    if (kind === undefined) {
      ctx.io.err(`flag provided but not defined: -${name}\n`);
      diagnostic(ctx, 'Failed to parse command-line flags', `The command line flag -${name} is not valid here.`);
      throw new CliExit(1);
    }
    let value;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (kind === 'bool') value = 'true';
    else {
      i += 1;
      value = args[i];
      if (value === undefined) {
        diagnostic(ctx, 'Failed to parse command-line flags', `flag needs an argument: -${name}`);
        throw new CliExit(1);
      }
    }
    if (kind === 'multi') (flags[name] ??= []).push(value);
    else if (kind === 'bool') flags[name] = value !== 'false';
    else flags[name] = value;
  }
  return { flags, positional };
}

const COMMON_FLAGS = { 'no-color': 'bool', input: 'bool', lock: 'bool', 'lock-timeout': 'string' };

// ---------------------------------------------------------------------------------------------------
// Commands

function version(ctx, args) {
  const { flags } = parseFlags(ctx, args, { json: 'bool' });
  if (flags.json) {
    ctx.io.out(
      `${JSON.stringify({ terraform_version: ctx.version, platform: 'linux_amd64', provider_selections: {}, terraform_outdated: false }, null, 2)}\n`,
    );
  } else {
    ctx.io.out(`${ctx.product} v${ctx.version}\non linux_amd64\n`);
  }
  return 0;
}

async function init(ctx, args) {
  parseFlags(ctx, args, { ...COMMON_FLAGS, upgrade: 'bool', backend: 'bool', 'backend-config': 'multi', reconfigure: 'bool', get: 'bool' });
  // Only the provider names are needed here; a regex keeps init fast (loading the HCL parser takes ~1 s).
  // Syntax errors are reported by plan, which parses everything.
  const config = { resources: scanResourceTypes(ctx.cwd) };
  ctx.io.out(`\nInitializing the backend...\n\nInitializing provider plugins...\n`);
  const providers = [...new Set(config.resources.map((resource) => providerOf(resource.type)))].sort();
  const lock = [];
  for (const provider of providers) {
    ctx.io.out(`- Finding latest version of hashicorp/${provider}...\n- Installing hashicorp/${provider} v1.0.0...\n`);
    const hash = createHash('sha256').update(provider).digest('base64');
    lock.push(`provider "${ctx.registry}/hashicorp/${provider}" {\n  version = "1.0.0"\n  hashes = [\n    "h1:${hash}",\n  ]\n}\n`);
    if (ctx.env.TF_PLUGIN_CACHE_DIR) {
      const dir = path.join(ctx.env.TF_PLUGIN_CACHE_DIR, ctx.registry, 'hashicorp', provider, '1.0.0', 'linux_amd64');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `terraform-provider-${provider}_v1.0.0`), '#!/bin/sh\n# stand-in provider\n');
    }
  }
  fs.mkdirSync(path.join(ctx.cwd, '.terraform'), { recursive: true });
  fs.writeFileSync(
    path.join(ctx.cwd, '.terraform.lock.hcl'),
    `# This file is maintained automatically by "${ctx.flavor} init".\n# Manual edits may be lost in future updates.\n\n${lock.join('\n')}`,
  );
  ctx.io.out(`\n${ctx.product} has been successfully initialized!\n`);
  if (!ctx.env.TF_IN_AUTOMATION) ctx.io.out(`\nYou may now begin working with ${ctx.product}. Try running "${ctx.flavor} plan".\n`);
  return 0;
}

async function plan(ctx, args) {
  const { flags, positional } = parseFlags(ctx, args, {
    ...COMMON_FLAGS,
    out: 'string',
    'detailed-exitcode': 'bool',
    var: 'multi',
    'var-file': 'multi',
    destroy: 'bool',
    refresh: 'bool',
    parallelism: 'string',
    'compact-warnings': 'bool',
  });
  if (positional.length > 0) {
    diagnostic(ctx, 'Too many command line arguments', 'To specify a working directory for the plan, use the global -chdir flag.');
    return 1;
  }
  requireInit(ctx);
  const config = await loadConfig(ctx);
  ctx.backendPath = config.backendPath;
  const state = readState(ctx);
  const fileVars = await readVarFiles(ctx, flags['var-file'] ?? []);
  const result = computePlan(ctx, config, state, { vars: flags.var ?? [], fileVars, destroy: flags.destroy === true });
  printPlan(ctx, result.document);
  if (flags.out) {
    const planFile = {
      [PLAN_MARKER]: 1,
      flavor: ctx.flavor,
      prior: state ? { lineage: state.lineage, serial: state.serial } : null,
      backendPath: config.backendPath ?? null,
      config: result.snapshot,
      document: result.document,
    };
    fs.writeFileSync(path.resolve(ctx.cwd, flags.out), JSON.stringify(planFile));
    if (!ctx.env.TF_IN_AUTOMATION) ctx.io.out(`\nSaved the plan to: ${flags.out}\n`);
  }
  const changed = result.document.resource_changes.some((change) => !isNoop(change.change.actions)) ||
    Object.values(result.document.output_changes).some((change) => !isNoop(change.actions));
  return flags['detailed-exitcode'] && changed ? 2 : 0;
}

function show(ctx, args) {
  const { flags, positional } = parseFlags(ctx, args, { 'no-color': 'bool', json: 'bool' });
  if (positional.length > 1) {
    diagnostic(ctx, 'Too many command line arguments', 'Expected at most one positional argument.');
    return 1;
  }
  if (positional.length === 0) {
    const state = readState(ctx);
    if (flags.json) {
      ctx.io.out(`${JSON.stringify({ format_version: '1.0', terraform_version: ctx.version, values: state ? stateValues(ctx, state) : undefined })}\n`);
    } else {
      ctx.io.out(state ? `${state.resources.length} resources in state\n` : 'No state.\n');
    }
    return 0;
  }
  const saved = readPlanFile(ctx, positional[0]);
  if (flags.json) ctx.io.out(`${JSON.stringify(saved.document)}\n`);
  else printPlan(ctx, saved.document);
  return 0;
}

async function apply(ctx, args) {
  const { flags, positional } = parseFlags(ctx, args, {
    ...COMMON_FLAGS,
    'auto-approve': 'bool',
    parallelism: 'string',
    'compact-warnings': 'bool',
    var: 'multi',
    'var-file': 'multi',
  });
  let saved;
  let state;
  if (positional.length === 1) {
    saved = readPlanFile(ctx, positional[0]);
    ctx.backendPath = saved.backendPath ?? undefined;
    state = readState(ctx);
    const prior = saved.prior;
    const stale = prior === null ? state !== null : state === null || state.lineage !== prior.lineage || state.serial !== prior.serial;
    if (stale) {
      diagnostic(
        ctx,
        'Saved plan is stale',
        'The given plan file can no longer be applied because the state was changed by another operation after the plan was created.',
      );
      return 1;
    }
    // A provider error on one value: fails only the applies whose plan contains it (a rollback to another value succeeds).
    const needle = ctx.env.IAC_STANDIN_FAIL_APPLY_IF;
    if (needle && JSON.stringify(saved.document.resource_changes).includes(needle)) {
      diagnostic(ctx, 'Injected provider failure', `IAC_STANDIN_FAIL_APPLY_IF matched the plan; nothing was applied.`);
      return 1;
    }
  } else if (positional.length === 0 && flags['auto-approve']) {
    requireInit(ctx);
    const config = await loadConfig(ctx);
    ctx.backendPath = config.backendPath;
    state = readState(ctx);
    const fileVars = await readVarFiles(ctx, flags['var-file'] ?? []);
    const result = computePlan(ctx, config, state, { vars: flags.var ?? [], fileVars, destroy: false });
    saved = { document: result.document, config: result.snapshot };
  } else {
    diagnostic(ctx, 'No saved plan', 'The stand-in applies a saved plan file (or -auto-approve without one).');
    return 1;
  }
  const next = applyPlan(ctx, saved, state);
  writeState(ctx, next.state);
  ctx.io.out(`\nApply complete! Resources: ${next.added} added, ${next.changed} changed, ${next.destroyed} destroyed.\n`);
  const outputs = Object.entries(next.state.outputs);
  if (outputs.length > 0) {
    ctx.io.out('\nOutputs:\n\n');
    for (const [name, output] of outputs) ctx.io.out(`${name} = ${output.sensitive ? '<sensitive>' : JSON.stringify(output.value)}\n`);
  }
  return 0;
}

function scanResourceTypes(dir) {
  const types = [];
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.tf'))) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of source.matchAll(/^\s*resource\s+"([^"]+)"/gm)) types.push({ type: match[1] });
  }
  return types;
}

function requireInit(ctx) {
  if (!fs.existsSync(path.join(ctx.cwd, '.terraform.lock.hcl')) && !fs.existsSync(path.join(ctx.cwd, '.terraform'))) {
    diagnostic(
      ctx,
      'Inconsistent dependency lock file',
      `The working directory is not initialized. Run "${ctx.flavor} init" first.`,
    );
    throw new CliExit(1);
  }
}

// ---------------------------------------------------------------------------------------------------
// Configuration

async function loadConfig(ctx) {
  // Required lazily: loading it starts the WebAssembly runtime, which cached parses do not need.
  const parse = (file, source) => require('@cdktf/hcl2json').parse(file, source);
  let entries;
  try {
    entries = fs.readdirSync(ctx.cwd).filter((name) => name.endsWith('.tf')).sort();
  } catch (error) {
    diagnostic(ctx, 'Failed to read the working directory', String(error.message ?? error));
    throw new CliExit(1);
  }
  const config = { resources: [], variables: {}, outputs: {}, locals: {}, providers: {} };
  let failed = false;
  for (const file of entries) {
    const source = fs.readFileSync(path.join(ctx.cwd, file), 'utf8');
    let body = readParseCache(file, source);
    try {
      body ??= writeParseCache(file, source, await parse(file, source));
    } catch (error) {
      reportHclError(ctx, file, source, String(error?.message ?? error));
      failed = true;
      continue;
    }
    if (!mergeFile(ctx, config, file, body)) failed = true;
  }
  if (failed) throw new CliExit(1);
  return config;
}

/**
 * Loading the HCL parser (Go compiled to WebAssembly) costs about a second per process; tests plan the
 * same files many times, so successful parses are cached by content hash in the temp dir.
 */
function parseCacheFile(file, source) {
  const key = createHash('sha256').update(file).update('\0').update(source).digest('hex');
  return path.join(os.tmpdir(), 'infra-review-iac-standin-cache', `${key}.json`);
}

function readParseCache(file, source) {
  try {
    return JSON.parse(fs.readFileSync(parseCacheFile(file, source), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeParseCache(file, source, body) {
  const target = parseCacheFile(file, source);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(body));
    fs.renameSync(temporary, target);
  } catch {
    // a cache that cannot be written only costs time
  }
  return body;
}

/** hcl2json reports "parse config: [main.tf:2,7-3,1: Summary; Detail., other.tf:...]". */
function reportHclError(ctx, file, source, message) {
  const lines = source.split('\n');
  const pattern = /([^\s[,]+\.tf):(\d+),(\d+)-[\d,]+: ([^;]+); (.*?)(?=, [^\s,]+\.tf:\d+,\d+-|\]?\s*$)/gs;
  let found = false;
  for (const match of message.matchAll(pattern)) {
    found = true;
    const line = Number(match[2]);
    diagnostic(ctx, match[4].trim(), match[5].trim(), { file: match[1], line, source: lines[line - 1] });
  }
  if (!found) diagnostic(ctx, 'Invalid configuration', message, { file, line: 1, source: lines[0] });
}

function mergeFile(ctx, config, file, body) {
  let ok = true;
  const unsupported = (what) => {
    diagnostic(ctx, 'Unsupported by the IaC stand-in', `${what} is not supported by this test double.`, { file, line: 1 });
    ok = false;
  };
  for (const [kind, blocks] of Object.entries(body)) {
    if (kind === 'resource') {
      for (const [type, named] of Object.entries(blocks)) {
        for (const [name, [resourceBody]] of Object.entries(named)) {
          const address = `${type}.${name}`;
          if (config.resources.some((resource) => resource.address === address)) {
            diagnostic(ctx, 'Duplicate resource configuration', `A ${type} resource named "${name}" was already declared.`, { file, line: 1 });
            ok = false;
            continue;
          }
          if ('count' in resourceBody || 'for_each' in resourceBody) {
            unsupported(`count/for_each on ${address}`);
            continue;
          }
          config.resources.push({ address, type, name, file, body: resourceBody });
        }
      }
    } else if (kind === 'variable') {
      for (const [name, [variableBody]] of Object.entries(blocks)) config.variables[name] = variableBody ?? {};
    } else if (kind === 'output') {
      for (const [name, [outputBody]] of Object.entries(blocks)) config.outputs[name] = outputBody ?? {};
    } else if (kind === 'locals') {
      for (const localsBody of blocks) Object.assign(config.locals, localsBody);
    } else if (kind === 'provider') {
      for (const [name, list] of Object.entries(blocks)) config.providers[name] = list[0] ?? {};
    } else if (kind === 'terraform') {
      // required_version / required_providers: nothing to check. A local backend's `path` keeps the state
      // outside the working directory, as a remote backend does for a fresh checkout.
      for (const terraformBody of blocks) {
        const backend = terraformBody?.backend;
        if (!backend) continue;
        const local = backend.local?.[0];
        if (local && Object.keys(backend).length === 1) config.backendPath = local.path;
        else unsupported(`a backend other than "local"`);
      }
    } else if (kind === 'module') {
      // Module calls are accepted and contribute no resources: enough for tests about which roots a
      // change to a local module affects, without modelling child modules.
    } else {
      unsupported(`a "${kind}" block`);
    }
  }
  return ok;
}

function providerOf(type) {
  return type.split('_')[0];
}

function forcesReplacement(ctx, type, attribute) {
  const rules = ctx.env.IAC_STANDIN_FORCES_REPLACEMENT !== undefined ? listEnv(ctx.env.IAC_STANDIN_FORCES_REPLACEMENT) : DEFAULT_FORCES_REPLACEMENT;
  return rules.some((rule) => {
    const dot = rule.lastIndexOf('.');
    const ruleType = rule.slice(0, dot);
    const ruleAttribute = rule.slice(dot + 1);
    if (ruleAttribute !== attribute) return false;
    if (ruleType === '*') return true;
    if (ruleType.startsWith('*')) return type.endsWith(ruleType.slice(1));
    return ruleType === type;
  });
}

// ---------------------------------------------------------------------------------------------------
// Evaluation: literals, var.x, local.x and TYPE.NAME.ATTR references

/** `-var-file` files: `.tfvars` (HCL attributes) or `.tfvars.json`; later files win, as in Terraform. */
async function readVarFiles(ctx, files) {
  const values = {};
  for (const file of files) {
    let source;
    try {
      source = fs.readFileSync(path.resolve(ctx.cwd, file), 'utf8');
    } catch {
      diagnostic(ctx, 'Failed to read variables file', `Given variables file ${file} does not exist.`);
      throw new CliExit(1);
    }
    if (file.endsWith('.json')) {
      try {
        Object.assign(values, JSON.parse(source));
      } catch (error) {
        diagnostic(ctx, 'Invalid variables file', `${file}: ${error.message}`);
        throw new CliExit(1);
      }
      continue;
    }
    let body = readParseCache(file, source);
    try {
      body ??= writeParseCache(file, source, await require('@cdktf/hcl2json').parse(file, source));
    } catch (error) {
      reportHclError(ctx, file, source, String(error?.message ?? error));
      throw new CliExit(1);
    }
    Object.assign(values, body);
  }
  return values;
}

function variableValues(ctx, config, cliVars, fileVars = {}) {
  const values = {};
  const sensitive = new Set();
  const fromCli = {};
  for (const assignment of cliVars) {
    const eq = assignment.indexOf('=');
    if (eq === -1) {
      diagnostic(ctx, 'Invalid -var option', `The given -var option "${assignment}" is not correctly specified.`);
      throw new CliExit(1);
    }
    fromCli[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  for (const [name, declaration] of Object.entries(config.variables)) {
    if (declaration.sensitive === true) sensitive.add(name);
    if (name in fromCli) values[name] = fromCli[name];
    else if (name in fileVars) values[name] = fileVars[name];
    else if (ctx.env[`TF_VAR_${name}`] !== undefined) values[name] = ctx.env[`TF_VAR_${name}`];
    else if ('default' in declaration) values[name] = declaration.default;
    else {
      diagnostic(ctx, 'No value for required variable', `The root module input variable "${name}" is not set, and has no default value.`);
      throw new CliExit(1);
    }
  }
  for (const name of Object.keys(fromCli)) {
    if (!(name in config.variables)) {
      diagnostic(ctx, 'Value for undeclared variable', `A variable named "${name}" was assigned on the command line, but the root module does not declare a variable of that name.`);
      throw new CliExit(1);
    }
  }
  return { values, sensitive };
}

/** Evaluates a value from hcl2json; `scope.lookup(expr)` resolves a reference. Tracks sensitivity and references. */
function evaluate(value, scope, meta) {
  if (typeof value === 'string') return evaluateString(value, scope, meta);
  if (Array.isArray(value)) return value.map((item) => evaluate(item, scope, meta));
  if (value !== null && typeof value === 'object') {
    const result = {};
    for (const [key, item] of Object.entries(value)) result[key] = evaluate(item, scope, meta);
    return result;
  }
  return value;
}

function evaluateString(text, scope, meta) {
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole) return scope.lookup(whole[1].trim(), meta);
  let unknown = false;
  const result = text.replace(/\$\{([^}]*)\}/g, (_match, expression) => {
    const value = scope.lookup(expression.trim(), meta);
    if (value instanceof Unknown) {
      unknown = true;
      return '';
    }
    if (value !== null && typeof value === 'object') throw new EvaluationError(`Cannot include a collection in a string template: \${${expression}}`);
    return String(value);
  });
  return unknown ? UNKNOWN : result;
}

class EvaluationError extends Error {}

function makeScope(variables, locals, resourceValue) {
  const scope = {
    lookup(expression, meta) {
      let match = /^var\.([A-Za-z_][\w-]*)$/.exec(expression);
      if (match) {
        if (!(match[1] in variables.values)) throw new EvaluationError(`Reference to undeclared input variable "${match[1]}"`);
        if (variables.sensitive.has(match[1])) meta.sensitive = true;
        return variables.values[match[1]];
      }
      match = /^local\.([A-Za-z_][\w-]*)$/.exec(expression);
      if (match) {
        if (!(match[1] in locals)) throw new EvaluationError(`Reference to undeclared local value "${match[1]}"`);
        return evaluate(locals[match[1]], scope, meta);
      }
      match = /^([A-Za-z][\w-]*)\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)$/.exec(expression);
      if (match) {
        const address = `${match[1]}.${match[2]}`;
        meta.references.add(address);
        return resourceValue(address, match[3]);
      }
      throw new EvaluationError(`The stand-in cannot evaluate \${${expression}}: only literals, var.NAME, local.NAME and TYPE.NAME.ATTR are supported`);
    },
  };
  return scope;
}

function stripUnknown(value) {
  if (value instanceof Unknown) return undefined;
  if (Array.isArray(value)) return value.map((item) => stripUnknown(item) ?? null);
  if (value !== null && typeof value === 'object') {
    const result = {};
    for (const [key, item] of Object.entries(value)) {
      const stripped = stripUnknown(item);
      if (stripped !== undefined) result[key] = stripped;
    }
    return result;
  }
  return value;
}

function unknownMarks(value) {
  if (value instanceof Unknown) return true;
  if (Array.isArray(value)) {
    const marks = value.map(unknownMarks);
    return marks.some((mark) => mark === true || (typeof mark === 'object' && Object.keys(mark).length > 0)) ? marks : [];
  }
  if (value !== null && typeof value === 'object') {
    const result = {};
    for (const [key, item] of Object.entries(value)) {
      const mark = unknownMarks(item);
      if (mark === true || (typeof mark === 'object' && Object.keys(mark).length > 0)) result[key] = mark;
    }
    return result;
  }
  return false;
}

function canonical(value) {
  if (value instanceof Unknown) return '"(unknown)"';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Evaluates every resource's attributes in dependency order. `known(address)` gives the attributes of a
 * resource already evaluated (with Unknown where not known yet).
 */
function evaluateResources(ctx, config, variables, computedFor) {
  const evaluated = new Map();
  const pending = [...config.resources].sort((a, b) => a.address.localeCompare(b.address));
  const configured = new Set(pending.map((resource) => resource.address));
  while (pending.length > 0) {
    let progressed = false;
    for (let i = 0; i < pending.length; i += 1) {
      const resource = pending[i];
      const meta = { sensitive: false, references: new Set() };
      const blocked = { value: false };
      const scope = makeScope(variables, config.locals, (address, attribute) => {
        if (!configured.has(address)) throw new EvaluationError(`Reference to undeclared resource "${address}"`);
        const done = evaluated.get(address);
        if (done === undefined) {
          blocked.value = true;
          return UNKNOWN;
        }
        return attribute in done.attributes ? done.attributes[attribute] : null;
      });
      const attributes = {};
      const sensitive = {};
      try {
        for (const [key, raw] of Object.entries(resource.body)) {
          if (META_ARGUMENTS.has(key)) continue;
          const attributeMeta = { sensitive: false, references: meta.references };
          attributes[key] = evaluate(raw, scope, attributeMeta);
          if (attributeMeta.sensitive) sensitive[key] = true;
        }
      } catch (error) {
        if (!(error instanceof EvaluationError)) throw error;
        diagnostic(ctx, 'Invalid reference', error.message, { file: resource.file, line: 1, context: `in resource "${resource.type}" "${resource.name}"` });
        throw new CliExit(1);
      }
      if (blocked.value) continue;
      Object.assign(attributes, computedFor(resource, attributes));
      evaluated.set(resource.address, { resource, attributes, sensitive, references: [...meta.references].sort() });
      pending.splice(i, 1);
      i -= 1;
      progressed = true;
    }
    if (!progressed) {
      diagnostic(ctx, 'Cycle', `Cycle between: ${pending.map((resource) => resource.address).join(', ')}`);
      throw new CliExit(1);
    }
  }
  return evaluated;
}

function evaluateOutputs(ctx, config, variables, resourceValue) {
  const outputs = {};
  const scope = makeScope(variables, config.locals, resourceValue);
  for (const [name, declaration] of Object.entries(config.outputs)) {
    const meta = { sensitive: false, references: new Set() };
    let value;
    try {
      value = evaluate(declaration.value ?? null, scope, meta);
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      diagnostic(ctx, 'Invalid reference', error.message, { file: 'outputs', line: 1, context: `in output "${name}"` });
      throw new CliExit(1);
    }
    if (meta.sensitive && declaration.sensitive !== true) {
      diagnostic(ctx, 'Output refers to sensitive values', `Output "${name}" uses a sensitive value; add sensitive = true to it.`);
      throw new CliExit(1);
    }
    outputs[name] = { value, sensitive: declaration.sensitive === true };
  }
  return outputs;
}

// ---------------------------------------------------------------------------------------------------
// State

/** `terraform.tfstate` for the default workspace, `terraform.tfstate.d/NAME/terraform.tfstate` otherwise (TF_WORKSPACE). */
function statePath(ctx) {
  const workspace = ctx.env.TF_WORKSPACE;
  const file = ctx.backendPath ? path.resolve(ctx.cwd, ctx.backendPath) : path.join(ctx.cwd, STATE_FILE);
  if (workspace && workspace !== 'default') return path.join(path.dirname(file), 'terraform.tfstate.d', workspace, path.basename(file));
  return file;
}

function readState(ctx) {
  let text;
  try {
    text = fs.readFileSync(statePath(ctx), 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text);
    if (state.version !== 4) throw new Error(`unsupported state version ${state.version}`);
    return state;
  } catch (error) {
    diagnostic(ctx, 'Failed to load state', `${STATE_FILE}: ${error.message}`);
    throw new CliExit(1);
  }
}

function writeState(ctx, state) {
  const file = statePath(ctx);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function stateInstances(state) {
  const map = new Map();
  for (const resource of state?.resources ?? []) {
    if (resource.mode !== 'managed') continue;
    const instance = resource.instances?.[0];
    if (!instance) continue;
    const sensitive = {};
    for (const pathSteps of instance.sensitive_attributes ?? []) {
      const first = pathSteps?.[0];
      if (first?.type === 'get_attr') sensitive[first.value] = true;
    }
    map.set(`${resource.type}.${resource.name}`, { type: resource.type, name: resource.name, provider: resource.provider, attributes: instance.attributes ?? {}, sensitive });
  }
  return map;
}

function providerName(ctx, type) {
  return `${ctx.registry}/hashicorp/${providerOf(type)}`;
}

function stateValues(ctx, state) {
  const instances = stateInstances(state);
  const outputs = {};
  for (const [name, output] of Object.entries(state.outputs ?? {})) outputs[name] = { sensitive: output.sensitive === true, value: output.value, type: output.type };
  const values = {
    root_module: {
      resources: [...instances.entries()].map(([address, instance]) => ({
        address,
        mode: 'managed',
        type: instance.type,
        name: instance.name,
        provider_name: providerName(ctx, instance.type),
        schema_version: 0,
        values: instance.attributes,
        sensitive_values: instance.sensitive,
      })),
    },
  };
  if (Object.keys(outputs).length > 0) values.outputs = outputs;
  return values;
}

function typeOf(value) {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return ['tuple', value.map(typeOf)];
  if (value !== null && typeof value === 'object') return ['object', Object.fromEntries(Object.entries(value).map(([key, item]) => [key, typeOf(item)]))];
  return 'dynamic';
}

// ---------------------------------------------------------------------------------------------------
// Planning

function isNoop(actions) {
  return actions.length === 1 && actions[0] === 'no-op';
}

function computePlan(ctx, config, state, options) {
  const variables = variableValues(ctx, config, options.vars, options.fileVars);
  const prior = stateInstances(state);
  const changes = [];
  const planned = [];
  const planFor = new Map();

  const evaluated = options.destroy
    ? new Map()
    : evaluateResources(ctx, config, variables, (resource, attributes) => {
        // `id` is computed: known once the resource exists and is not replaced, else known after apply.
        if ('id' in attributes) return {};
        const before = prior.get(resource.address);
        if (before === undefined) return { id: UNKNOWN };
        const desired = { ...attributes, id: before.attributes.id };
        const action = decideAction(ctx, resource.type, before.attributes, desired);
        return { id: action.actions.includes('create') ? UNKNOWN : before.attributes.id };
      });

  for (const [address, entry] of evaluated) {
    const before = prior.get(address);
    const after = entry.attributes;
    const afterSensitive = entry.sensitive;
    const base = { address, mode: 'managed', type: entry.resource.type, name: entry.resource.name, provider_name: providerName(ctx, entry.resource.type) };
    let action;
    if (before === undefined) action = { actions: ['create'] };
    else action = decideAction(ctx, entry.resource.type, before.attributes, after);
    const change = {
      ...base,
      change: {
        actions: action.actions,
        before: before === undefined ? null : before.attributes,
        after: stripUnknown(after),
        after_unknown: unknownMarks(after),
        before_sensitive: before === undefined ? false : before.sensitive,
        after_sensitive: afterSensitive,
      },
    };
    if (action.replacePaths) change.change.replace_paths = action.replacePaths;
    if (action.reason) change.action_reason = action.reason;
    changes.push(change);
    planned.push({ ...base, schema_version: 0, values: stripUnknown(after), sensitive_values: afterSensitive });
    planFor.set(address, after);
  }
  for (const [address, before] of prior) {
    if (evaluated.has(address)) continue;
    changes.push({
      address,
      mode: 'managed',
      type: before.type,
      name: before.name,
      provider_name: providerName(ctx, before.type),
      change: { actions: ['delete'], before: before.attributes, after: null, after_unknown: {}, before_sensitive: before.sensitive, after_sensitive: false },
      action_reason: options.destroy ? undefined : 'delete_because_no_resource_config',
    });
  }
  changes.sort((a, b) => a.address.localeCompare(b.address));

  const outputs = options.destroy
    ? {}
    : evaluateOutputs(ctx, config, variables, (address, attribute) => {
        const after = planFor.get(address);
        if (after === undefined) throw new EvaluationError(`Reference to undeclared resource "${address}"`);
        return attribute in after ? after[attribute] : null;
      });
  const priorOutputs = state?.outputs ?? {};
  const outputChanges = {};
  const plannedOutputs = {};
  for (const [name, output] of Object.entries(outputs)) {
    const before = priorOutputs[name];
    const known = !(output.value instanceof Unknown);
    const same = before !== undefined && known && canonical(before.value) === canonical(output.value);
    outputChanges[name] = {
      actions: [before === undefined ? 'create' : same ? 'no-op' : 'update'],
      before: before === undefined ? null : before.value,
      after: known ? stripUnknown(output.value) : null,
      after_unknown: !known,
      before_sensitive: before?.sensitive === true,
      after_sensitive: output.sensitive,
    };
    plannedOutputs[name] = known ? { sensitive: output.sensitive, value: stripUnknown(output.value), type: typeOf(output.value) } : { sensitive: output.sensitive };
  }
  for (const [name, before] of Object.entries(priorOutputs)) {
    if (name in outputs) continue;
    outputChanges[name] = { actions: ['delete'], before: before.value, after: null, after_unknown: false, before_sensitive: before.sensitive === true, after_sensitive: false };
  }

  const document = {
    format_version: '1.2',
    terraform_version: ctx.version,
    variables: Object.fromEntries(Object.entries(variables.values).map(([name, value]) => [name, { value }])),
    planned_values: { outputs: plannedOutputs, root_module: { resources: planned } },
    resource_changes: changes,
    output_changes: outputChanges,
    configuration: configurationBlock(ctx, config),
    timestamp: new Date().toISOString(),
    applyable: changes.some((change) => !isNoop(change.change.actions)) || Object.values(outputChanges).some((change) => !isNoop(change.actions)),
    complete: true,
    errored: false,
  };
  if (state) document.prior_state = { format_version: '1.0', terraform_version: state.terraform_version ?? ctx.version, values: stateValues(ctx, state) };
  const snapshot = { resources: config.resources, variables: variables.values, sensitiveVariables: [...variables.sensitive], locals: config.locals, outputs: config.outputs };
  return { document, snapshot };
}

function decideAction(ctx, type, before, after) {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...keys].filter((key) => key in after && canonical(before[key]) !== canonical(after[key]));
  for (const key of keys) if (!(key in after) && key !== 'id' && before[key] !== null && before[key] !== undefined) changed.push(key);
  if (changed.length === 0) return { actions: ['no-op'] };
  const forcing = changed.filter((key) => forcesReplacement(ctx, type, key)).sort();
  if (forcing.length > 0) return { actions: ['delete', 'create'], replacePaths: forcing.map((key) => [key]), reason: 'replace_because_cannot_update' };
  return { actions: ['update'] };
}

function expressionOf(raw) {
  if (typeof raw === 'string' && raw.includes('${')) {
    const references = [...raw.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1].trim());
    return { references };
  }
  return { constant_value: raw };
}

function configurationBlock(ctx, config) {
  const providerConfig = {};
  for (const resource of config.resources) {
    const name = providerOf(resource.type);
    providerConfig[name] = { name, full_name: providerName(ctx, resource.type) };
  }
  const variables = {};
  for (const [name, declaration] of Object.entries(config.variables)) {
    variables[name] = {};
    if ('default' in declaration) variables[name].default = declaration.default;
    if (declaration.sensitive === true) variables[name].sensitive = true;
    if (declaration.description) variables[name].description = declaration.description;
  }
  const outputs = {};
  for (const [name, declaration] of Object.entries(config.outputs)) {
    outputs[name] = { expression: expressionOf(declaration.value ?? null) };
    if (declaration.sensitive === true) outputs[name].sensitive = true;
  }
  return {
    provider_config: providerConfig,
    root_module: {
      outputs,
      resources: config.resources.map((resource) => ({
        address: resource.address,
        mode: 'managed',
        type: resource.type,
        name: resource.name,
        provider_config_key: providerOf(resource.type),
        expressions: Object.fromEntries(
          Object.entries(resource.body)
            .filter(([key]) => !META_ARGUMENTS.has(key))
            .map(([key, raw]) => [key, expressionOf(raw)]),
        ),
        schema_version: 0,
      })),
      variables,
    },
  };
}

function printPlan(ctx, document) {
  const symbols = { create: '+', update: '~', delete: '-', replace: '-/+' };
  const counts = { add: 0, change: 0, destroy: 0 };
  const lines = [];
  for (const change of document.resource_changes) {
    const actions = change.change.actions;
    if (isNoop(actions)) continue;
    const kind = actions.length === 2 ? 'replace' : actions[0];
    if (kind === 'create' || kind === 'replace') counts.add += 1;
    if (kind === 'delete' || kind === 'replace') counts.destroy += 1;
    if (kind === 'update') counts.change += 1;
    const verb = { create: 'will be created', update: 'will be updated in-place', delete: 'will be destroyed', replace: 'must be replaced' }[kind];
    lines.push(`  # ${change.address} ${verb}`);
    lines.push(`  ${symbols[kind]} resource "${change.type}" "${change.name}" {`);
    const values = change.change.after ?? change.change.before ?? {};
    const sensitive = (change.change.after ? change.change.after_sensitive : change.change.before_sensitive) || {};
    for (const key of Object.keys(values).sort()) {
      lines.push(`      ${key} = ${sensitive[key] ? '(sensitive value)' : JSON.stringify(values[key])}`);
    }
    const unknown = change.change.after_unknown || {};
    for (const key of Object.keys(unknown).filter((name) => unknown[name] === true).sort()) lines.push(`      ${key} = (known after apply)`);
    lines.push('    }', '');
  }
  if (lines.length === 0 && Object.values(document.output_changes).every((change) => isNoop(change.actions))) {
    ctx.io.out(`\nNo changes. Your infrastructure matches the configuration.\n`);
    return;
  }
  ctx.io.out(`\n${ctx.product} will perform the following actions:\n\n${lines.join('\n')}\nPlan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.\n`);
}

function readPlanFile(ctx, file) {
  let saved;
  try {
    saved = JSON.parse(fs.readFileSync(path.resolve(ctx.cwd, file), 'utf8'));
  } catch (error) {
    diagnostic(ctx, 'Failed to read the given file as a state or plan file', `${file}: ${error.code === 'ENOENT' ? 'no such file' : 'not a plan file'}`);
    throw new CliExit(1);
  }
  if (saved?.[PLAN_MARKER] !== 1) {
    diagnostic(ctx, 'Failed to read the given file as a state or plan file', `${file} is not a plan file made by this stand-in.`);
    throw new CliExit(1);
  }
  return saved;
}

// ---------------------------------------------------------------------------------------------------
// Applying

function applyPlan(ctx, saved, state) {
  const prior = stateInstances(state);
  const snapshot = saved.config;
  const variables = { values: snapshot.variables, sensitive: new Set(snapshot.sensitiveVariables) };
  const actions = new Map(saved.document.resource_changes.map((change) => [change.address, change.change.actions]));
  const counts = { added: 0, changed: 0, destroyed: 0 };
  for (const [address, list] of actions) {
    if (list.includes('delete')) {
      ctx.io.out(`${address}: Destroying...\n`);
      counts.destroyed += 1;
    }
    if (list.includes('create')) counts.added += 1;
    if (list.includes('update')) counts.changed += 1;
  }
  // A resource planned only for deletion is not evaluated again (that is how `plan -destroy` applies).
  const kept = snapshot.resources.filter((resource) => {
    const list = actions.get(resource.address);
    return !(list && list.length === 1 && list[0] === 'delete');
  });
  const config = { resources: kept, locals: snapshot.locals, outputs: snapshot.outputs, variables: {} };
  const evaluated = evaluateResources(ctx, config, variables, (resource, attributes) => {
    if ('id' in attributes) return {};
    const list = actions.get(resource.address) ?? [];
    const before = prior.get(resource.address);
    return { id: before && !list.includes('create') ? before.attributes.id : randomUUID() };
  });
  const resources = [];
  for (const [address, entry] of evaluated) {
    const list = actions.get(address) ?? ['no-op'];
    if (list.includes('create')) ctx.io.out(`${address}: Creation complete after 0s [id=${entry.attributes.id}]\n`);
    if (list.includes('update')) ctx.io.out(`${address}: Modifications complete after 0s [id=${entry.attributes.id}]\n`);
    resources.push({
      mode: 'managed',
      type: entry.resource.type,
      name: entry.resource.name,
      provider: `provider["${providerName(ctx, entry.resource.type)}"]`,
      instances: [
        {
          schema_version: 0,
          attributes: entry.attributes,
          sensitive_attributes: Object.keys(entry.sensitive).sort().map((key) => [{ type: 'get_attr', value: key }]),
          dependencies: entry.references,
        },
      ],
    });
  }
  const outputs = {};
  for (const [name, output] of Object.entries(
    evaluateOutputs(ctx, config, variables, (address, attribute) => {
      const done = evaluated.get(address);
      if (done === undefined) throw new EvaluationError(`Reference to undeclared resource "${address}"`);
      return attribute in done.attributes ? done.attributes[attribute] : null;
    }),
  )) {
    outputs[name] = { value: output.value, type: typeOf(output.value), ...(output.sensitive ? { sensitive: true } : {}) };
  }
  const next = {
    version: 4,
    terraform_version: ctx.version,
    serial: (state?.serial ?? 0) + 1,
    lineage: state?.lineage ?? randomUUID(),
    outputs,
    resources,
    check_results: null,
  };
  return { state: next, ...counts };
}

// ---------------------------------------------------------------------------------------------------

function invokedDirectly() {
  try {
    return fs.realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const flavor = process.env.IAC_STANDIN_FLAVOR === 'tofu' ? 'tofu' : 'terraform';
  await main(flavor);
}
