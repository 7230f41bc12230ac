import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';

/** The baseline proxy, buffered: Hono through a kept-alive undici Pool, small upstream answers read whole. */
const pool = new Pool(String(process.env.UPSTREAM), { connections: 64 });
const app = new Hono();
app.all('*', async (c) => {
  const url = c.req.url;
  const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  const method = c.req.method;
  const answer = await pool.request({
    method: method as 'GET',
    path,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: method === 'POST' ? await c.req.text() : undefined,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  const type = answer.headers['content-type'];
  return new Response(body, {
    status: answer.statusCode,
    headers: typeof type === 'string' ? { 'content-type': type } : {},
  });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
