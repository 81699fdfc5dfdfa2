import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { precompileViews, VIEWS_DIR } from '../../src/render/precompile-views.js';
import { PRECOMPILED_VIEWS } from '../../src/render/precompiled-views.js';
import { renderTemplate } from '../../src/render/template-environment.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GENERATED = path.join(REPO_ROOT, 'src/render/precompiled-views.ts');
const work = mkdtempSync(path.join(tmpdir(), 'infra-review-views-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('src/render/precompiled-views.ts', () => {
  it('is what `npm run views` generates from views/*.hbs (run it after editing a template)', () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(precompileViews(VIEWS_DIR));
  });

  it('no longer matches once a template is edited, so the check above catches a stale file', () => {
    const views = path.join(work, 'views');
    cpSync(VIEWS_DIR, views, { recursive: true });
    writeFileSync(path.join(views, 'plan-drift.hbs'), `${readFileSync(path.join(views, 'plan-drift.hbs'), 'utf8')}edited\n`);
    expect(precompileViews(views)).not.toBe(readFileSync(GENERATED, 'utf8'));
  });

  it('holds one template per views/*.hbs', () => {
    const names = readdirSync(VIEWS_DIR).filter((file) => file.endsWith('.hbs')).map((file) => file.slice(0, -'.hbs'.length));
    expect(names.length).toBeGreaterThan(5);
    expect(Object.keys(PRECOMPILED_VIEWS).sort()).toEqual(names.sort());
  });
});

describe('templates compiled ahead of time', () => {
  const project = { name: 'app', dir: 'envs/prod', workspace: 'default', badge: '🟢 low', hasChanges: true };

  it('keep noEscape: text outside the helpers is written as is, not HTML-escaped', () => {
    const text = renderTemplate('plan-project', { ...project, counts: '1 to add & <2> "to" change' });
    expect(text).toContain('· 1 to add & <2> "to" change ·');
  });

  it('keep strict: a field the template uses but the context lacks is an error, not an empty string', () => {
    expect(() => renderTemplate('plan-project', { ...project })).toThrow(/"counts" not defined/);
  });

  it('escape untrusted text through the helpers, as before', () => {
    const text = renderTemplate('plan-project', { ...project, name: '<img src=x>', counts: '0 to add' });
    expect(text).toContain('#### Project <code>&#60;img src=x&#62;</code>');
  });
});
