import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

/** The reference proxy: @fastify/http-proxy (undici) in front of the same upstream. */
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: String(process.env.UPSTREAM) });
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
