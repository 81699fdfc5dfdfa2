import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/program.js';

describe('cli', () => {
  it('exits 2 on an unknown subcommand', async () => {
    const stderr = process.stderr.write;
    const written: string[] = [];
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['no-such-command'])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
    expect(written.join('')).toMatch(/error:/);
  });
});
