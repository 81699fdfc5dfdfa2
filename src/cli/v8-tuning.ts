/**
 * V8 settings for the `infra-review` process itself, applied at run time because a command-line flag
 * would need a shebang (`#!/usr/bin/env -S node --flag`) that BusyBox's env does not understand. Both
 * are read by V8 each time it uses them, so they take effect from the moment they are set. Tests and
 * the app import main() and the commands without them: only main.ts, run as the program, turns them on.
 * Measured in `npm run bench` (bench/render-bench.js), which runs the CLI as the bin does.
 */
import v8 from 'node:v8';

let enabled = false;

/**
 * For the whole CLI process: keep the young generation at its initial size (1 MiB per semi-space)
 * instead of letting it double up to 8 MiB per semi-space (16 MiB of RSS) under allocation-heavy work,
 * such as streaming a big plan. The CLI is short-lived and its live data small: the extra scavenges
 * cost a few milliseconds. (Where a V8 version ignores the setting, only memory use differs.)
 */
export function tuneV8ForCli(): void {
  enabled = true;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Before rendering comment bodies: rendering runs each diff function a few hundred times, too few for
 * TurboFan's inlining to pay back what it costs to compile (time, and megabytes of compiler memory).
 * Set after the plan was analysed, so the scanner's hot loop keeps its inlined code.
 */
export function tuneV8ForRendering(): void {
  if (enabled) v8.setFlagsFromString('--no-turbo-inlining');
}
