import type { PlanAnalysis, ResourceChangeAnalysis } from '../../src/plan/analysis.js';
import type { ProjectPlanResult } from '../../src/render/plan-comment-input.js';

/** Hand-made analyses for render tests: the renderer is tested against the contract, not the analyser. */
export function change(address: string, overrides: Partial<ResourceChangeAnalysis> = {}): ResourceChangeAnalysis {
  const [type = 'null_resource', name = 'x'] = address.split('.');
  return {
    address,
    mode: 'managed',
    type,
    name,
    actions: ['create'],
    action: 'create',
    importing: false,
    header: `# ${address} will be created`,
    diff: `+ resource "${type}" "${name}" {\n+     id = (known after apply)\n  }`,
    risk: 'low',
    reasons: [],
    ...overrides,
  };
}

export function analysis(changes: ResourceChangeAnalysis[], overrides: Partial<PlanAnalysis> = {}): PlanAnalysis {
  const count = (action: string) => changes.filter((c) => c.action === action).length;
  const replaces = count('replace') + count('replace-create-first');
  return {
    formatVersion: '1.2',
    summary: {
      add: count('create') + replaces,
      change: count('update'),
      destroy: count('delete') + replaces,
      replace: replaces,
      import: changes.filter((c) => c.importing).length,
      move: 0,
      forget: 0,
      read: count('read'),
      no_op: 0,
    },
    risk: { level: changes.reduce((level, c) => (c.risk === 'critical' || level === 'critical' ? 'critical' : c.risk === 'high' || level === 'high' ? 'high' : level), 'low' as PlanAnalysis['risk']['level']), reasons: changes.flatMap((c) => c.reasons) },
    changes,
    drift: [],
    outputs: [],
    errored: false,
    notes: [],
    ...overrides,
  };
}

export function planned(name: string, planAnalysis: PlanAnalysis): ProjectPlanResult {
  return { name, dir: `envs/${name}`, workspace: 'default', status: 'planned', analysis: planAnalysis };
}

/** Markdown structure checks shared by the split and corpus tests. */
export function fenceBalance(body: string): { open: boolean; unclosedDetails: number } {
  let fence: { char: string; length: number } | undefined;
  let details = 0;
  for (const line of body.split('\n')) {
    if (fence) {
      const m = /^ {0,3}(`+|~+)\s*$/.exec(line);
      if (m && (m[1] as string)[0] === fence.char && (m[1] as string).length >= fence.length) fence = undefined;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) {
      fence = { char: (open[1] as string)[0] as string, length: (open[1] as string).length };
      continue;
    }
    if (/^<details[\s>]/.test(line)) details++;
    if (/^<\/details>/.test(line)) details--;
    if (details < 0) return { open: false, unclosedDetails: details };
  }
  return { open: fence !== undefined, unclosedDetails: details };
}

/** The body with fenced code blocks removed: what markdown would interpret as markup. */
export function outsideFences(body: string): string {
  const kept: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const line of body.split('\n')) {
    if (fence) {
      const m = /^ {0,3}(`+|~+)\s*$/.exec(line);
      if (m && (m[1] as string)[0] === fence.char && (m[1] as string).length >= fence.length) fence = undefined;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) fence = { char: (open[1] as string)[0] as string, length: (open[1] as string).length };
    else kept.push(line);
  }
  return kept.join('\n');
}
