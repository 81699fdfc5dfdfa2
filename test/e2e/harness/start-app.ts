import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The worktree root (this file is test/e2e/harness/start-app.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The built app entry that `npm start` runs (`probot run ./lib/index.js`). */
export const BUILT_APP = path.join(REPO_ROOT, 'lib', 'index.js');

/** True when `npm run build` has produced the app; e2e suites skip otherwise. */
export function isAppBuilt(): boolean {
  return existsSync(BUILT_APP);
}

/** A fresh RSA key pair for the App, as GitHub generates for a registered app. */
export function generateAppKey(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

export interface StartAppOptions {
  /** `127.0.0.1:PORT` of the GitHub double (GHE_HOST); the app talks to it over plain http. */
  gheHost: string;
  appId: number;
  privateKey: string;
  webhookSecret: string;
  /** DATA_DIR; a fresh temp dir when absent (removed by `dispose`). Pass the same one to restart on the same data. */
  dataDir?: string;
  /** Port to listen on; a free one when absent. Kept across restarts. */
  port?: number;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Extra environment (DATABASE_URL, IAC_BINARY, ...). */
  env?: Record<string, string>;
  /** Milliseconds to wait for the app to answer HTTP. Default 15 s. */
  readyTimeoutMs?: number;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** The parsed line when the app logged JSON (LOG_FORMAT=json, the default here). */
  json?: Record<string, unknown>;
}

const live = new Set<ChildProcess>();
// A crashed test run must not leave app servers behind: kill what we started when this process exits.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The built app running as its own process, started as `npm start` starts it (probot's own
 * bin running `lib/index.js`), but without rebuilding and pointed at the double.
 */
export class RunningApp {
  private child: ChildProcess | null = null;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  private readonly lines: LogLine[] = [];
  private readonly waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  private constructor(
    private readonly options: StartAppOptions & { dataDir: string; port: number },
    private readonly ownsDataDir: boolean,
    private readonly cwd: string,
  ) {}

  /** Starts the app and resolves once it answers HTTP. */
  static async start(options: StartAppOptions): Promise<RunningApp> {
    if (!isAppBuilt()) throw new Error(`${BUILT_APP} is missing: run \`npm run build\` first`);
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'e2e-data-')));
    const port = options.port ?? (await freePort());
    // An empty working directory: probot loads `.env` from the cwd and lets it override the
    // environment, so a developer's .env must never point a test app at real GitHub.
    const cwd = await mkdtemp(path.join(tmpdir(), 'e2e-cwd-'));
    const app = new RunningApp({ ...options, dataDir, port }, options.dataDir === undefined, cwd);
    await app.launch();
    return app;
  }

  get port(): number {
    return this.options.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the app printed so far, across restarts. */
  logs(): LogLine[] {
    return [...this.lines];
  }

  output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  /** Resolves with the first line (already printed or future) matching `predicate`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${this.output()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends `signal` and waits for the process to end; SIGKILL after `graceMs` if it does not. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    const exit = this.exit;
    if (!child || !exit) return { code: null, signal: null };
    if (this.running) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
      this.child = null;
    }
  }

  /** Stops (SIGTERM by default) and starts again on the same port and DATA_DIR. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.launch();
  }

  /** Stops the app and removes the temp dirs this harness created. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.cwd, { recursive: true, force: true });
    if (this.ownsDataDir) await rm(this.options.dataDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const o = this.options;
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_ID: String(o.appId),
      PRIVATE_KEY: o.privateKey,
      WEBHOOK_SECRET: o.webhookSecret,
      GHE_HOST: o.gheHost,
      GHE_PROTOCOL: 'http',
      PORT: String(o.port),
      HOST: '127.0.0.1',
      DATA_DIR: o.dataDir,
      LOG_LEVEL: o.logLevel ?? 'info',
      LOG_FORMAT: 'json',
      // Tests stop the app within seconds; production waits longer for running jobs.
      SHUTDOWN_GRACE_SECONDS: '1',
      NODE_ENV: 'production',
      ...o.env,
    };
    const probotBin = path.join(REPO_ROOT, 'node_modules', 'probot', 'bin', 'probot.js');
    const child = spawn(process.execPath, [probotBin, 'run', BUILT_APP], { cwd: this.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    this.capture(child, 'stdout');
    this.capture(child, 'stderr');
    await this.waitUntilReady(o.readyTimeoutMs ?? 15_000);
  }

  private capture(child: ChildProcess, stream: 'stdout' | 'stderr'): void {
    let pending = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) this.push(stream, text);
    });
    child[stream]?.on('end', () => {
      if (pending) this.push(stream, pending);
      pending = '';
    });
  }

  private push(stream: 'stdout' | 'stderr', text: string): void {
    const line: LogLine = { stream, text };
    if (text.startsWith('{')) {
      try {
        line.json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  /** Polls Probot's `/ping` until it answers; fails fast, with the output, if the process dies. */
  private async waitUntilReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the app exited before it was ready:\n${this.output()}`);
      try {
        const response = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status < 500) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stop('SIGKILL');
    throw new Error(`the app did not answer on ${this.url} within ${timeoutMs} ms:\n${this.output()}`);
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
