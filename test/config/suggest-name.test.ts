import { describe, expect, it } from 'vitest';
import { suggestName } from '../../src/config/suggest-name.js';

describe('suggestName', () => {
  const keys = ['autoplan', 'dir', 'name', 'tool', 'var_files', 'when_modified', 'workflow', 'workspace'];
  it('suggests the close key for a typo', () => {
    expect(suggestName('autplan', keys)).toBe('autoplan');
    expect(suggestName('when_modifed', keys)).toBe('when_modified');
    expect(suggestName('Workspace', keys)).toBe('workspace');
    expect(suggestName('varfiles', keys)).toBe('var_files');
  });
  it('suggests nothing for an unrelated word', () => {
    expect(suggestName('banana', keys)).toBeUndefined();
    expect(suggestName('x', ['dir'])).toBeUndefined();
  });
});
