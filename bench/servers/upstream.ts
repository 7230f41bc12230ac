import { createServer } from 'node:http';

/** The next-gen stand-in for the proxy benchmark: a job status, as small and fast as a server can be. */
const body = JSON.stringify({ status: 'finished', detail: null, updated_at: '2026-02-15T09:30:00.123456+00:00' });
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
