/**
 * V8 settings for the `infra-review` process itself, applied at run time because a command-line flag
 * would need a shebang (`#!/usr/bin/env -S node --flag`) that BusyBox's env does not understand. V8
 * reads them when it uses them, so they take effect from the moment they are set: main.ts sets them
 * before it loads anything else. Tests and the app import the program and the commands without them.
 * Measured in `npm run bench` (bench/render-bench.js), which runs the CLI as the bin does.
 */
import v8 from 'node:v8';
import { SCANNER_FUNCTIONS } from '../plan/scan-plan-json.js';

let enabled = false;

/**
 * For the whole CLI process:
 *
 * - Keep the young generation at 1 MiB per semi-space instead of letting it grow to 8 MiB per
 *   semi-space (16 MiB of RSS) under allocation-heavy work, such as streaming a big plan. The CLI is
 *   short-lived and its live data small: the extra scavenges cost a few milliseconds.
 * - Let TurboFan (and Maglev, on Node versions that use it) optimise only the plan scanner's per-byte
 *   functions. Everything else the CLI runs (module loading, JSON.parse of each entry, risk rules,
 *   rendering a few hundred changes) is native code or runs too few times for optimised code to pay
 *   back its compilation, which costs several megabytes (the compiler's own code and its working
 *   memory) and, on two cores, more time than it saves: measured, both formats are faster this way.
 *
 * Where a V8 version ignores a setting, only speed and memory use differ.
 */
export function tuneV8ForCli(): void {
  enabled = true;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString(`--turbo-filter=${SCANNER_FUNCTIONS}`);
  v8.setFlagsFromString(`--maglev-filter=${SCANNER_FUNCTIONS}`);
}

/**
 * Before rendering comment bodies (markdown, --out-dir): no more Sparkplug, V8's baseline compiler.
 * Rendering runs each function a few hundred times: its baseline code would cost memory (a quarter of
 * a megabyte, the difference between the markdown peak and its target's margin) for a few
 * milliseconds. The analysis before it keeps Sparkplug, which makes `--format json` a tenth faster.
 */
export function tuneV8ForRendering(): void {
  if (enabled) v8.setFlagsFromString('--no-sparkplug');
}
