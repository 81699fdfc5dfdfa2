import { describe, expect, it } from 'vitest';
import { expandChangedPaths } from '../../src/projects/changed-file.js';

describe('expandChangedPaths', () => {
  it('counts both paths of a rename, sorted and deduplicated', () => {
    expect(
      expandChangedPaths([
        { filename: 'envs/prod/main.tf', status: 'modified' },
        { filename: 'envs/new/network.tf', previous_filename: 'envs/old/network.tf', status: 'renamed' },
        { filename: 'envs/prod/main.tf', status: 'modified' },
        { filename: 'a.tf', status: 'removed' },
      ]),
    ).toEqual(['a.tf', 'envs/new/network.tf', 'envs/old/network.tf', 'envs/prod/main.tf']);
  });

  it('strips a leading ./ or / so paths compare with the tree', () => {
    expect(expandChangedPaths([{ filename: './x/main.tf' }, { filename: '/y/main.tf' }])).toEqual(['x/main.tf', 'y/main.tf']);
  });
});
