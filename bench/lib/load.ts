import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchCores } from './cores.js';

export interface LoadResult {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx: a wrong answer, which fails the benchmark. */
  non2xx: number;
  /** Connect/read/write errors and timeouts of the load generator. */
  errors: number;
}

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}

let wrk: boolean | undefined;

/** wrk (a separate, efficient process) when it can be had: installed with apt-get when missing and root. */
export function haveWrk(): boolean {
  if (wrk !== undefined) return wrk;
  const found = () => spawnSync('wrk', ['--version']).error === undefined;
  if (!found() && process.getuid?.() === 0) {
    process.stderr.write('  wrk missing: installing it with apt-get\n');
    spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore' });
  }
  wrk = found();
  if (!wrk)
    process.stderr.write(
      '  wrk not found (apt-get install wrk): falling back to autocannon, which runs in this process and so shares the CPUs less fairly\n',
    );
  return wrk;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function latencyMs(output: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(output);
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] ?? 1) : Number.NaN;
}

/** wrk as fast as the server answers, or paced: each connection waits `delayMs` on average after each answer (wrk's `delay()` hook). */
async function runWrk(spec: LoadSpec, delayMs?: number): Promise<LoadResult> {
  const script = join(tmpdir(), `zpe-bench-${process.pid}.lua`);
  const lines = [`wrk.method = "${spec.method}"`];
  // Uniform around the mean, so the connections do not fall into step and send in bursts.
  if (delayMs !== undefined) lines.push(`function delay() return math.random(0, ${2 * delayMs}) end`);
  for (const [name, value] of Object.entries(spec.headers))
    lines.push(`wrk.headers["${name}"] = ${JSON.stringify(value)}`);
  if (spec.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(spec.body)}`);
  writeFileSync(script, `${lines.join('\n')}\n`);
  const [command, args] = benchCores().offMeasured('wrk', [
    '-t1',
    `-c${spec.connections}`,
    `-d${spec.seconds}s`,
    '--latency',
    '-s',
    script,
    spec.url,
  ]);
  const child = spawn(command, args);
  let output = '';
  child.stdout.on('data', (d) => {
    output += String(d);
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0),
    p50Ms: latencyMs(output, '50'),
    p99Ms: latencyMs(output, '99'),
    non2xx,
    errors,
  };
}

async function runAutocannon(spec: LoadSpec, overallRate?: number): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    method: spec.method,
    body: spec.body,
    headers: spec.headers,
    connections: spec.connections,
    duration: spec.seconds,
    overallRate,
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** As many requests as the server takes, from `connections` kept-alive connections. */
export const saturate = (spec: LoadSpec) => (haveWrk() ? runWrk(spec) : runAutocannon(spec));

/**
 * A fixed rate, for latency. Debian's wrk has no rate option (that is wrk2), but its `delay()` hook
 * paces each connection: `connections` of them, each waiting connections/rate seconds on average
 * after each answer, send a little under `rate` (the answer's own time is added); `rps` says what was
 * reached.
 * Without wrk, autocannon's overallRate (in this process, with millisecond latencies).
 */
export const atRate = (spec: LoadSpec, rate: number) =>
  haveWrk() ? runWrk(spec, Math.round((spec.connections * 1000) / rate)) : runAutocannon(spec, rate);

/** CPU time (user + system) a process has used, in µs, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), here 12 and 13 after pid and comm.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks();
}

/** Peak resident set size of a process, in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}
