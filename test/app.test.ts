import { describe, expect, it } from 'vitest';
import { Probot, ProbotOctokit } from 'probot';
import { generateKeyPairSync } from 'node:crypto';
import app from '../src/index.js';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

describe('app', () => {
  it('loads into a Probot instance', async () => {
    const probot = new Probot({
      appId: 1,
      privateKey,
      Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
    });
    await expect(probot.load(app)).resolves.not.toThrow();
  });
});
