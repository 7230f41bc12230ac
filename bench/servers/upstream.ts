import { createServer } from 'node:http';

/** The next-gen stand-in for the proxy benchmark: a job status (GET) or an accepted job (POST), as small and fast as a server can be. */
const status = JSON.stringify({ status: 'finished', detail: null, updated_at: '2026-02-15T09:30:00.123456+00:00' });
const accepted = JSON.stringify({ id: 'bench-0123456789abcdef0123456789abcdef' });
const server = createServer((req, res) => {
  req.resume();
  const body = req.method === 'POST' ? accepted : status;
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
