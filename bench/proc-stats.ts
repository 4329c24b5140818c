import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Linux /proc readings for the processes under test: CPU time, memory, and finding them. */

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after its closing parenthesis.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of all the process's threads so far, in microseconds. */
export function cpuMicros(pid: number): number {
  const fields = statFields(pid);
  // After the command: state is field 3, so utime (14) and stime (15) are at indexes 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / clockTicksPerSecond();
}

export function parentPid(pid: number): number {
  return Number(statFields(pid)[1]);
}

export interface MemoryReading {
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM). */
  peakRssBytes: number;
}

export function memory(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

function ownPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The child of `parent` whose environment holds NAME=value (the sidecar gets its config path only through GATEWAY_CONFIG). */
export function findChildByEnvironment(parent: number, name: string, value: string): number | undefined {
  const wanted = `${name}=${value}`;
  for (const pid of ownPids()) {
    try {
      if (parentPid(pid) !== parent) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(wanted)) return pid;
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/** The child of `parent` whose command line contains `fragment`. */
export function findChildByCommandLine(parent: number, fragment: string): number | undefined {
  for (const pid of ownPids()) {
    try {
      if (parentPid(pid) !== parent) continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').includes(fragment)) return pid;
    } catch {
      // gone
    }
  }
  return undefined;
}

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
}

export function describeMachine(): MachineDescription {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return { cpuModel, cores: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, kernel, node: process.version };
}

export interface SystemCpu {
  /** All CPU time of the machine so far, in microseconds (every core, every state). */
  totalMicros: number;
  /** Time spent running anything (user, nice, system, irq, softirq). */
  busyMicros: number;
  /** Time the hypervisor gave to other guests while this one wanted to run. */
  stealMicros: number;
}

export function systemCpu(): SystemCpu {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const toMicros = (ticks: number) => (ticks * 1_000_000) / clockTicksPerSecond();
  return {
    totalMicros: toMicros(user + nice + system + idle + iowait + irq + softirq + steal),
    busyMicros: toMicros(user + nice + system + irq + softirq),
    stealMicros: toMicros(steal),
  };
}
