import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { constantTimeMatcher } from '../auth/constant-time.js';
import type { AdminAuthenticator } from '../auth/identity.js';
import { type FlagName, parseBoolean } from '../flags/flags.js';
import { FLAG_NAMES } from '../flags/keys.js';
import type { GatewayEnv } from '../http/app.js';
import { type ChangeOutcome, loginPage, operatorPage } from './page.js';
import { operatorSessions, SESSION_COOKIE, SESSION_SECONDS } from './session.js';
import { type OperatorSources, operatorView } from './view.js';

export interface OperatorPageDeps {
  sources: OperatorSources;
  admin: AdminAuthenticator;
  adminToken: string | undefined;
}

function nonce(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Nothing leaves the gateway and nothing runs but the page's own inline script. */
function html(c: Context, body: string, status: number, scriptNonce: string): Response {
  return c.html(body, status as 200, {
    'content-security-policy': `default-src 'none'; style-src 'nonce-${scriptNonce}'; script-src 'nonce-${scriptNonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'cache-control': 'no-store',
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
  });
}

/** The form's `change` (`submission_route=next-gen`, `shadow_sample_rate=0.1`) as the admin API's body field. */
function changeOf(raw: string): Record<string, unknown> | undefined {
  const [name, value] = raw.split('=');
  if (name === undefined || value === undefined) return undefined;
  if (name === 'shadow_sample_rate') {
    const rate = Number(value);
    return Number.isFinite(rate) && rate >= 0 && rate <= 1 ? { shadow_sample_rate: rate } : undefined;
  }
  if (!(FLAG_NAMES as string[]).includes(name)) return undefined;
  const flag = name as FlagName;
  if (flag === 'submission_route' || flag === 'result_read_source') return { [flag]: value };
  const bool = parseBoolean(value);
  return bool === undefined ? undefined : { [flag]: bool };
}

/**
 * `/_gateway`: the operator page, server-rendered from the same sources as the admin API. Readable with the
 * admin bearer token or a session from the login form; a flag change goes through `PATCH
 * /api/zpe/admin/ops` with the admin token typed into the form, so the guardrails, audit and log are the
 * API's own and their answer is shown as given.
 */
export function mountOperatorPage(app: OpenAPIHono<GatewayEnv>, deps: OperatorPageDeps): void {
  const sessions = deps.adminToken ? operatorSessions(deps.adminToken) : undefined;
  const tokenMatches = deps.adminToken ? constantTimeMatcher(deps.adminToken) : () => false;

  const signedIn = async (c: Context) =>
    deps.admin.isAdmin(c.req.raw) || ((await sessions?.valid(getCookie(c, SESSION_COOKIE))) ?? false);

  const show = async (c: Context, status = 200, outcome?: ChangeOutcome) => {
    const n = nonce();
    return html(c, operatorPage(await operatorView(deps.sources), n, outcome), status, n);
  };
  const login = (c: Context, status: number, message?: string) => {
    const n = nonce();
    return html(c, loginPage(n, message), status, n);
  };
  const disabled = (c: Context) => {
    const n = nonce();
    return html(c, loginPage(n, 'admin operations disabled: no ZPE_ADMIN_TOKEN configured'), 403, n);
  };

  app.use('/_gateway/*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.text('request body too large', 413) }));

  app.get('/_gateway', async (c) => {
    if (!sessions) return disabled(c);
    return (await signedIn(c)) ? show(c) : login(c, 401);
  });

  app.post('/_gateway/login', async (c) => {
    if (!sessions) return disabled(c);
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token : '';
    if (!tokenMatches(token)) return login(c, 401, 'invalid admin token');
    setCookie(c, SESSION_COOKIE, await sessions.issue(), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/_gateway',
      maxAge: SESSION_SECONDS,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.redirect('/_gateway', 303);
  });

  app.post('/_gateway/logout', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/_gateway' });
    return c.redirect('/_gateway', 303);
  });

  app.post('/_gateway/flags', async (c) => {
    if (!sessions) return disabled(c);
    // No cross-site request can change a flag: the change needs the admin token typed into the form (the
    // session cookie, SameSite=Strict besides, only lets the page be read).
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
    const token = field('token');
    if (!(await signedIn(c)) && !tokenMatches(token)) return login(c, 401, 'invalid admin token');
    const change = changeOf(field('change'));
    if (!change) return show(c, 400, { ok: false, status: 400, message: `unknown change '${field('change')}'` });
    const ttl = Number(field('ttl_seconds') || '3600');
    const body = { ...change, reason: field('reason') || undefined, ttl_seconds: Number.isInteger(ttl) ? ttl : 3600 };
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (field('actor')) headers['x-zpe-actor'] = field('actor');
    // The runtime's bindings go along: the client address of the internal call is the operator's.
    const answer = await app.fetch(
      new Request(new URL('/api/zpe/admin/ops', c.req.url), { method: 'PATCH', headers, body: JSON.stringify(body) }),
      c.env,
    );
    const json = (await answer.json().catch(() => ({}))) as {
      version?: string;
      error?: { message?: string; details?: { refusals?: string[] } };
    };
    const outcome: ChangeOutcome = answer.ok
      ? {
          ok: true,
          status: answer.status,
          message: `${field('change')} for ${body.ttl_seconds} s (flags version ${json.version ?? '?'})`,
        }
      : {
          ok: false,
          status: answer.status,
          message: json.error?.message ?? `the admin API answered ${answer.status}`,
          details: json.error?.details?.refusals?.slice(1),
        };
    return show(c, answer.ok ? 200 : answer.status, outcome);
  });
}
