import { ConfigError } from '../../config/env.js';
import type { Gateway } from '../../gateway.js';
import { ApiError, errorResponse } from '../../http/errors.js';
import { composeWorkersGateway } from './compose.js';
import type { WorkersEnv } from './env.js';
import { PendingWork, type WaitUntil } from './pending.js';

const pending = new PendingWork();

/** Assembled once per isolate, on its first request (workerd allows no I/O at module load); env is the same for all of them. */
let gateway: Promise<Gateway> | undefined;

let reported: unknown;

/** Why the gateway could not start, as an answer: a configuration error names the variable, anything else stays in the log. */
function startupFailure(err: unknown): Response {
  const message = err instanceof Error ? err.message : String(err);
  if (reported !== err) {
    reported = err;
    console.error(
      JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'gateway cannot start', error: message }),
    );
  }
  if (err instanceof ConfigError) {
    const [head, ...problems] = message.split('\n').map((line) => line.trim());
    return errorResponse(new ApiError(503, `gateway cannot start: ${head} ${problems.join('; ')}`));
  }
  return errorResponse(new ApiError(500, 'gateway cannot start: internal error'));
}

/** The Cloudflare Workers entry: the same app as on Node (src/gateway.ts), configured from the Worker's env. */
export default {
  async fetch(request: Request, env: WorkersEnv, ctx: WaitUntil): Promise<Response> {
    let ready: Gateway;
    try {
      gateway ??= composeWorkersGateway(env, pending.add);
      ready = await gateway;
    } catch (err) {
      // A bad configuration stays bad for this isolate's env; anything else may pass: try again next time.
      if (!(err instanceof ConfigError)) gateway = undefined;
      return startupFailure(err);
    }
    try {
      return await ready.app.fetch(request);
    } finally {
      pending.keepAlive(ctx);
    }
  },
};
