/**
 * Preloaded with `node --import` into a measured process (through NODE_OPTIONS, where `--cpu-prof` is
 * not allowed): profiles its CPU from start to exit and writes a V8 `.cpuprofile` (open it in Chrome
 * DevTools, Performance tab) into the directory named by BENCH_CPU_PROFILE_DIR. The process must exit
 * normally (the app does on SIGTERM); a SIGKILL leaves no profile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  // 200 µs between samples: short blocking calls (a synchronous database write) still show.
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session on the process's own thread answers synchronously, so this runs before the exit completes.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(path.join(dir, `app-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
