import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStep } from '../../src/runner/run-step.js';
import type { RunStepOptions } from '../../src/runner/run-step.js';
import { goneWithin, useTempDirs } from './runner-test-kit.js';

describe('runStep', () => {
  const tempDir = useTempDirs();

  async function options(extra: Partial<RunStepOptions> = {}): Promise<RunStepOptions> {
    return { cwd: await tempDir(), env: { PATH: process.env.PATH ?? '' }, timeoutMs: 20_000, killGraceMs: 500, ...extra };
  }

  it('reports exit code and output, with secrets masked', async () => {
    const result = await runStep(
      { step: 'run', command: 'sh', args: ['-c', 'echo "out $SECRET"; echo "err $SECRET" >&2; exit 3'] },
      await options({ env: { PATH: process.env.PATH ?? '', SECRET: 'sup3r-s3cret' }, secrets: ['sup3r-s3cret'] }),
    );
    expect(result).toMatchObject({ step: 'run', exitCode: 3, signal: null, timedOut: false, cancelled: false });
    expect(result.stdoutTail).toBe('out ***\n');
    expect(result.stderrTail).toBe('err ***\n');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('gives the child exactly the environment it is handed', async () => {
    process.env.RUNNER_TEST_LEAK = 'should-not-leak';
    try {
      const result = await runStep({ step: 'env', command: 'sh', args: ['-c', 'env'] }, await options({ env: { PATH: process.env.PATH ?? '', ONLY: 'me' } }));
      expect(result.stdoutTail).toContain('ONLY=me');
      expect(result.stdoutTail).not.toContain('RUNNER_TEST_LEAK');
    } finally {
      delete process.env.RUNNER_TEST_LEAK;
    }
  });

  it('kills the whole process group on timeout: no child or grandchild survives', async () => {
    const opts = await options({ timeoutMs: 300 });
    const pidFile = path.join(opts.cwd, 'pids');
    const result = await runStep(
      { step: 'tree', command: 'sh', args: ['-c', `sleep 100 & echo $! > ${pidFile}; echo $$ >> ${pidFile}; sleep 100`] },
      opts,
    );
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await goneWithin(pid)).toBe(true);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const script = "process.on('SIGTERM', () => console.log('ignoring TERM')); console.log('ready'); setInterval(() => {}, 1000);";
    const result = await runStep({ step: 'stubborn', command: process.execPath, args: ['-e', script] }, await options({ timeoutMs: 2000, killGraceMs: 300 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdoutTail).toContain('ready');
  });

  it('stops the process tree when the signal aborts', async () => {
    const controller = new AbortController();
    const opts = await options({ signal: controller.signal });
    const pidFile = path.join(opts.cwd, 'pids');
    const running = runStep({ step: 'cancel-me', command: 'sh', args: ['-c', `sleep 100 & echo $! > ${pidFile}; echo started; wait`] }, opts);
    // Abort once the tree is up (the pid file exists).
    for (let i = 0; i < 200; i += 1) {
      const text = await readFile(pidFile, 'utf8').catch(() => '');
      if (text.trim() !== '') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort();
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBeNull();
    expect(await goneWithin(Number((await readFile(pidFile, 'utf8')).trim()))).toBe(true);
  });

  it('does not start at all when already aborted', async () => {
    const opts = await options({ signal: AbortSignal.abort() });
    const result = await runStep({ step: 'never', command: 'sh', args: ['-c', `touch ${path.join(opts.cwd, 'ran')}`] }, opts);
    expect(result.cancelled).toBe(true);
    await expect(readFile(path.join(opts.cwd, 'ran'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps only the tail of a huge output, and the whole of it in stdoutFile', async () => {
    const opts = await options({ tailBytes: 64 * 1024 });
    const file = path.join(opts.cwd, 'stdout.txt');
    // 10 MB of numbered lines, then a marker at the very end.
    const script = "const line = 'x'.repeat(99) + '\\n'; for (let i = 0; i < 100000; i++) process.stdout.write(i + line); process.stdout.write('THE-END\\n');";
    const result = await runStep({ step: 'loud', command: process.execPath, args: ['-e', script] }, { ...opts, stdoutFile: file });
    expect(result.exitCode).toBe(0);
    expect(Buffer.byteLength(result.stdoutTail)).toBeLessThanOrEqual(64 * 1024 + 100);
    expect(result.stdoutTail).toMatch(/^\[\.\.\. \d+ bytes of earlier output omitted \.\.\.\]\n/);
    expect(result.stdoutTail.endsWith('99999' + 'x'.repeat(99) + '\nTHE-END\n')).toBe(true);
    expect(result.stdoutTail).not.toContain('\n0xxx');
    const whole = await readFile(file, 'utf8');
    expect(whole.startsWith('0xxx')).toBe(true);
    expect(whole.endsWith('THE-END\n')).toBe(true);
  });

  it('reports an executable that cannot be started without throwing', async () => {
    const result = await runStep({ step: 'missing', command: '/nonexistent/terraform', args: ['init'] }, await options());
    expect(result.exitCode).toBeNull();
    expect(result.error).toMatch(/cannot start \/nonexistent\/terraform: .*ENOENT/);
  });

  it('kills background processes a step leaves behind when it exits', async () => {
    const opts = await options();
    const pidFile = path.join(opts.cwd, 'pid');
    const result = await runStep({ step: 'daemon', command: 'sh', args: ['-c', `sleep 100 > /dev/null 2>&1 & echo $! > ${pidFile}`] }, opts);
    expect(result.exitCode).toBe(0);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(await goneWithin(pid)).toBe(true);
  });
});
