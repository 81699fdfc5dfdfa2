import { describe, expect, it } from 'vitest';
import { resolveWorkflowEnv } from '../../src/runner/resolve-workflow-env.js';

describe('resolveWorkflowEnv', () => {
  it('keeps literals as env, passes server variables as secrets and lists the missing ones', () => {
    const resolved = resolveWorkflowEnv(
      [
        { name: 'TF_LOG', value: 'info' },
        { name: 'AWS_ACCESS_KEY_ID', from_env: 'PROD_AWS_KEY_ID' },
        { name: 'AWS_SECRET_ACCESS_KEY', from_env: 'PROD_AWS_SECRET' },
      ],
      { PROD_AWS_KEY_ID: 'AKIAEXAMPLE' },
    );
    expect(resolved).toEqual({ env: { TF_LOG: 'info' }, secretEnv: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }, missing: ['PROD_AWS_SECRET'] });
  });
});
