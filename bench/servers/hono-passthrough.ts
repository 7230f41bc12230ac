import { ReadableStream } from 'node:stream/web';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';

/** The baseline proxy, streamed: Hono forwarding every request through a kept-alive undici Pool, the answer as a web stream. */
const pool = new Pool(String(process.env.UPSTREAM), { connections: 64 });
const app = new Hono();
app.all('*', async (c) => {
  const url = new URL(c.req.url);
  const method = c.req.method;
  const answer = await pool.request({
    method: method as 'GET',
    path: url.pathname + url.search,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: method === 'POST' ? await c.req.text() : undefined,
  });
  const headers = new Headers();
  const type = answer.headers['content-type'];
  if (typeof type === 'string') headers.set('content-type', type);
  return new Response(ReadableStream.from(answer.body) as unknown as BodyInit, { status: answer.statusCode, headers });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
