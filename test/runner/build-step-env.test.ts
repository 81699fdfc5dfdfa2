import { describe, expect, it } from 'vitest';
import { buildStepEnv } from '../../src/runner/build-step-env.js';

describe('buildStepEnv', () => {
  const baseEnv = {
    PATH: '/usr/bin',
    HOME: '/home/app',
    LC_ALL: 'C.UTF-8',
    PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----',
    WEBHOOK_SECRET: 'hook-secret',
    DATABASE_URL: 'postgres://user:pw@db/app',
    AWS_REGION: 'eu-west-1',
    AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
  };

  it("keeps system variables and never passes the app's own secrets", () => {
    const { env } = buildStepEnv({ baseEnv });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/app', LC_ALL: 'C.UTF-8' });
  });

  it('passes names and prefixes listed in passEnv and reports secret-looking values for redaction', () => {
    const { env, secrets } = buildStepEnv({ baseEnv, passEnv: ['AWS_*'] });
    expect(env.AWS_REGION).toBe('eu-west-1');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('aws-secret-value');
    expect(env.WEBHOOK_SECRET).toBeUndefined();
    expect(secrets).toEqual(['aws-secret-value']);
  });

  it('adds explicit env last and treats secret-looking names as secrets', () => {
    const { env, secrets } = buildStepEnv({ baseEnv, env: { PATH: '/opt/bin', TF_VAR_db_password: 'pw-123456', TF_LOG: 'info' } });
    expect(env.PATH).toBe('/opt/bin');
    expect(env.TF_LOG).toBe('info');
    expect(secrets).toEqual(['pw-123456']);
  });

  it('masks the values of the usual secret names wherever the word sits, and not plain settings', () => {
    const named = {
      TF_VAR_db_pass: 'v-pass',
      API_KEY_PROD: 'v-api-key',
      AWS_ACCESS_KEY_ID: 'v-key-id',
      SENTRY_DSN: 'v-dsn',
      DB_CONNECTION_STRING: 'v-conn',
      CLIENT_CERT_PEM: 'v-cert',
      AWS_SESSION_TOKEN: 'v-session',
      GITHUB_APP_PASSPHRASE: 'v-passphrase',
      AWS_REGION: 'eu-west-1',
      TF_LOG: 'info',
      TF_VAR_instance_count: '3',
    };
    const { secrets } = buildStepEnv({ baseEnv: { ...baseEnv, ...named }, passEnv: Object.keys(named) });
    expect([...secrets].sort()).toEqual(['v-api-key', 'v-cert', 'v-conn', 'v-dsn', 'v-key-id', 'v-pass', 'v-passphrase', 'v-session']);
  });
});
