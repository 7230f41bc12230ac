import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Which cores a measurement runs on: the server under test alone on the first core (all its threads,
 * GC helpers included), and everything else (wrk, the upstream, Redis, the idle servers) on the
 * rest. Without this the scheduler puts wrk beside the server it loads half of the time, and what
 * it takes from the server's core is counted as that server's slowness. Every system is measured the
 * same way. Without `taskset` (util-linux) or a second core, nothing is pinned and `pinned` says so.
 */
export interface Cores {
  pinned: boolean;
  /** Prefixes a load generator's command line so that it runs off the measured core. */
  offMeasured(command: string, args: string[]): [string, string[]];
  /** `pid` alone on the measured core, every process of `others` off it. */
  isolate(pid: number, others: readonly number[]): void;
  /** `pid` back on every core. */
  release(pid: number): void;
}

const MEASURED = '0';

function withTaskset(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['--version']).error === undefined;
}

function pin(pid: number, cpus: string): void {
  // -a: every thread the process has now; threads it starts later inherit the mask.
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

let cores: Cores | undefined;

export function benchCores(): Cores {
  cores ??= placement();
  return cores;
}

function placement(): Cores {
  if (!withTaskset()) {
    return {
      pinned: false,
      offMeasured: (command, args) => [command, args],
      isolate: () => undefined,
      release: () => undefined,
    };
  }
  const last = availableParallelism() - 1;
  const rest = `1-${last}`;
  return {
    pinned: true,
    offMeasured: (command, args) => ['taskset', ['-c', rest, command, ...args]],
    isolate(pid, others) {
      for (const other of others) if (other !== pid) pin(other, rest);
      pin(pid, MEASURED);
    },
    release: (pid) => pin(pid, `0-${last}`),
  };
}
