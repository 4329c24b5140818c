import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Loaded into the sidecar with NODE_OPTIONS=--import=<this file> (Node 20 refuses
 * --cpu-prof in NODE_OPTIONS, and the test harness passes no flags): when
 * BENCH_CPU_PROFILE_DIR is set, samples the process's CPU with V8's profiler from start to
 * exit and writes <dir>/sidecar-<pid>.cpuprofile, the same format `node --cpu-prof` writes.
 * The in-process inspector session answers synchronously, so the profile can be taken in
 * the 'exit' handler (the sidecar exits through process.exit after draining).
 */
const directory = process.env.BENCH_CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_CPU_PROFILE_INTERVAL_US ?? 200) });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      writeFileSync(join(directory, `sidecar-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
