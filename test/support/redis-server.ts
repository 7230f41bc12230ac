import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A free loopback TCP port, picked by the kernel. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  server.close();
  await once(server, 'close');
  return address.port;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The redis-server process. */
  pid: number;
  /** A fresh client for the test's own raw reads and writes. */
  client(): Redis;
  /** Stops the server and every client handed out. */
  stop(): Promise<void>;
  /** Pauses the server process (SIGSTOP) to simulate a hung Redis; resume() continues it. */
  pause(): void;
  resume(): void;
}

/** Starts a private, non-persistent redis-server on a free loopback port; never the shared one on 6379. */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout?.on('data', (d) => {
    output += String(d);
  });
  proc.stderr?.on('data', (d) => {
    output += String(d);
  });
  const url = `redis://127.0.0.1:${port}/0`;
  const clients: Redis[] = [];
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  probe.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${port}: ${output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  probe.disconnect();
  return {
    url,
    port,
    pid: proc.pid as number,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    pause() {
      proc.kill('SIGSTOP');
    },
    resume() {
      proc.kill('SIGCONT');
    },
    async stop() {
      for (const c of clients) c.disconnect();
      if (proc.exitCode === null) {
        proc.kill('SIGCONT');
        proc.kill('SIGTERM');
        await once(proc, 'exit');
      }
    },
  };
}
