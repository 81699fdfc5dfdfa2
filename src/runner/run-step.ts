import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { redact } from './redact.js';
import { TailBuffer } from './tail-buffer.js';

/** One process to run: a label for reports, the executable and its arguments (never a secret in them). */
export interface StepCommand {
  step: string;
  command: string;
  args: readonly string[];
}

export interface RunStepOptions {
  cwd: string;
  /** The complete environment of the child: nothing is inherited implicitly (see buildStepEnv). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Values masked in every captured output and error message. */
  secrets?: readonly string[];
  /** How many bytes of stdout and of stderr to keep (the last ones). */
  tailBytes?: number;
  /** Time between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
  /** When set, stdout is also written whole to this file (for output too big for the tail, e.g. `show -json`). */
  stdoutFile?: string;
}

export interface StepResult {
  step: string;
  /** null when the process was ended by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  stdoutTail: string;
  stderrTail: string;
  durationMs: number;
  /** Why the process could not be started or its output not saved (redacted). */
  error?: string;
}

export const DEFAULT_TAIL_BYTES = 256 * 1024;
export const DEFAULT_KILL_GRACE_MS = 10_000;

/**
 * Runs one process in its own process group and waits until it and everything it started is gone.
 * A timeout or an abort sends SIGTERM to the whole group, then SIGKILL after a grace period; when the
 * main process exits, whatever it left running in its group is killed too, so no step outlives itself.
 * Never throws for a failing process: the result says what happened.
 */
export async function runStep(command: StepCommand, options: RunStepOptions): Promise<StepResult> {
  const secrets = options.secrets ?? [];
  const tailBytes = options.tailBytes ?? DEFAULT_TAIL_BYTES;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const started = Date.now();
  const stdout = new TailBuffer(tailBytes);
  const stderr = new TailBuffer(tailBytes);
  let timedOut = false;
  let cancelled = false;

  const finish = (exitCode: number | null, signal: string | null, error?: string): StepResult => {
    const result: StepResult = {
      step: command.step,
      exitCode,
      signal,
      timedOut,
      cancelled,
      stdoutTail: redact(stdout.text(), secrets),
      stderrTail: redact(stderr.text(), secrets),
      durationMs: Date.now() - started,
    };
    if (error !== undefined) result.error = redact(error, secrets);
    return result;
  };

  if (options.signal?.aborted) {
    cancelled = true;
    return finish(null, null, 'cancelled before start');
  }

  let file: WriteStream | undefined;
  let fileError: Error | undefined;
  const fileDone = new Promise<void>((resolve) => {
    if (options.stdoutFile === undefined) return resolve();
    file = createWriteStream(options.stdoutFile, { mode: 0o600 });
    file.on('error', (error) => {
      fileError = error;
      resolve();
    });
    file.on('finish', () => resolve());
  });

  const child = spawn(command.command, [...command.args], {
    cwd: options.cwd,
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the whole tree can be signalled
  });

  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  };

  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    killGroup('SIGTERM');
    graceTimer ??= setTimeout(() => killGroup('SIGKILL'), killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = (): void => {
    cancelled = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (file !== undefined) child.stdout.pipe(file);

  const outcome = await new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    let exited: { code: number | null; signal: string | null } | undefined;
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // Background processes left in the group would keep our pipes open and run unattended.
      killGroup('SIGKILL');
    });
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, error: `cannot start ${command.command}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      resolve(exited ?? { code, signal });
    });
  });

  clearTimeout(timer);
  if (graceTimer !== undefined) clearTimeout(graceTimer);
  options.signal?.removeEventListener('abort', onAbort);
  if (file !== undefined && !file.writableFinished) {
    if (outcome.error !== undefined) file.end();
    await fileDone;
  }
  const error = outcome.error ?? (fileError ? `cannot write ${options.stdoutFile}: ${fileError.message}` : undefined);
  return finish(outcome.code, outcome.signal, error);
}

/** A one-line description of how a step ended, for error messages. */
export function describeOutcome(result: StepResult): string {
  if (result.cancelled) return 'was cancelled';
  if (result.timedOut) return 'timed out';
  if (result.error !== undefined && result.exitCode === null && result.signal === null) return `failed: ${result.error}`;
  if (result.signal !== null) return `was killed by ${result.signal}`;
  return `exited with code ${result.exitCode}`;
}

/** The last `count` non-empty lines of a step's stderr (already redacted), for reports. */
export function lastLines(text: string, count = 20): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  return lines.slice(-count).join('\n');
}
