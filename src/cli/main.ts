#!/usr/bin/env node
/**
 * The `infra-review` executable. It tunes V8 for a short-lived process first, then loads the program:
 * a static import would load (and allocate for) every command module before the tuning could apply.
 * Tests and other code import program.ts instead.
 */
import { tuneV8ForCli } from './v8-tuning.js';

tuneV8ForCli();
const { main } = await import('./program.js');
process.exitCode = await main(process.argv.slice(2));
