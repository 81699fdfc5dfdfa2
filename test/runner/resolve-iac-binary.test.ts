import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IacBinaryNotFoundError, resolveIacBinary } from '../../src/runner/resolve-iac-binary.js';
import { useTempDirs } from './runner-test-kit.js';

describe('resolveIacBinary', () => {
  const tempDir = useTempDirs();

  async function binDir(names: string[], options: { executable?: boolean } = {}): Promise<string> {
    const dir = path.join(await tempDir(), 'bin');
    await mkdir(dir);
    for (const name of names) {
      await writeFile(path.join(dir, name), '#!/bin/sh\n');
      await chmod(path.join(dir, name), options.executable === false ? 0o644 : 0o755);
    }
    return dir;
  }

  it('prefers tofu and falls back to terraform when only that is on PATH', async () => {
    const both = await binDir(['tofu', 'terraform']);
    expect(resolveIacBinary({ env: { PATH: both } })).toEqual({ path: path.join(both, 'tofu'), source: 'default' });
    const onlyTerraform = await binDir(['terraform']);
    expect(resolveIacBinary({ env: { PATH: onlyTerraform } }).path).toBe(path.join(onlyTerraform, 'terraform'));
  });

  it("uses the project's tool before IAC_BINARY", async () => {
    const dir = await binDir(['tofu', 'terraform']);
    expect(resolveIacBinary({ tool: 'terraform', env: { PATH: dir, IAC_BINARY: 'tofu' } })).toEqual({
      path: path.join(dir, 'terraform'),
      source: 'project',
    });
  });

  it('takes IAC_BINARY as a name on PATH or as a path', async () => {
    const dir = await binDir(['tofu', 'terraform']);
    expect(resolveIacBinary({ env: { PATH: dir, IAC_BINARY: 'terraform' } }).path).toBe(path.join(dir, 'terraform'));
    const other = await binDir(['my-terraform']);
    expect(resolveIacBinary({ env: { PATH: dir, IAC_BINARY: path.join(other, 'my-terraform') } })).toEqual({
      path: path.join(other, 'my-terraform'),
      source: 'IAC_BINARY',
    });
  });

  it('gives a clear error when nothing is found or the file is not executable', async () => {
    const empty = await binDir([]);
    expect(() => resolveIacBinary({ env: { PATH: empty } })).toThrow(IacBinaryNotFoundError);
    expect(() => resolveIacBinary({ env: { PATH: empty } })).toThrow(/neither tofu nor terraform was found on PATH.*IAC_BINARY/);
    const notExecutable = await binDir(['tofu'], { executable: false });
    expect(() => resolveIacBinary({ env: { PATH: notExecutable } })).toThrow(IacBinaryNotFoundError);
    expect(() => resolveIacBinary({ env: { PATH: empty, IAC_BINARY: path.join(notExecutable, 'tofu') } })).toThrow(/is not an executable file/);
    expect(() => resolveIacBinary({ tool: 'terraform', env: { PATH: empty } })).toThrow(/project's tool "terraform" was not found/);
  });

  it("looks for the project's tool next to a pinned IAC_BINARY before PATH", async () => {
    const onPath = await binDir(['tofu', 'terraform']);
    const pinned = await binDir(['tofu', 'terraform']);
    const env = { PATH: onPath, IAC_BINARY: path.join(pinned, 'terraform') };
    expect(resolveIacBinary({ tool: 'tofu', env })).toEqual({ path: path.join(pinned, 'tofu'), source: 'project' });
    const onlyTerraform = await binDir(['terraform']);
    expect(resolveIacBinary({ tool: 'tofu', env: { PATH: onPath, IAC_BINARY: path.join(onlyTerraform, 'terraform') } }).path).toBe(path.join(onPath, 'tofu'));
    expect(() => resolveIacBinary({ tool: 'tofu', env: { PATH: '', IAC_BINARY: path.join(onlyTerraform, 'terraform') } })).toThrow(/next to IAC_BINARY/);
  });
});
