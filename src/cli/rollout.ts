import { parseArgs } from 'node:util';
import { ROLLOUT_FLAGS, type RolloutFlag } from '../rollout/rollout.js';

export const ROLLOUT_USAGE = `usage: zpe-gateway rollout COMMAND FLAG [options]

Moves a flagged path (submission_route, result_read_source) to next-gen for a sticky share of users,
through the gateway's admin API (PATCH /api/zpe/admin/ops), under the same guardrails, expiry and audit.

commands:
  start FLAG --percent N          start a rollout at N % (0.01 to 100) with its guard
  raise FLAG --percent N          raise it (the same users stay in; only users are added)
  status [FLAG]                   percentages, guards, automatic rollbacks and what the legacy key holds
  stop FLAG                       roll back: everybody on legacy (always allowed)

options:
  --reason TEXT                   why (recorded in the audit; required with --force)
  --ttl SECONDS                   lifetime of the change (default: the gateway's ZPE_OPS_FLAG_TTL_SECONDS)
  --actor NAME                    who (X-Zpe-Actor)
  --force                         override the order guardrails (recorded as forced)
  --max-error-ratio R             guard: roll back above this next-gen 5xx ratio (e.g. 0.02)
  --window SECONDS                guard: the window of the ratio (default 300)
  --min-requests N                guard: requests the window needs first (default 50)
  --max-violations N              guard: roll back above N next-gen contract violations in the window
  --min-parity R                  guard: roll back below this shadow-read parity
  --json                          print the gateway's answer as JSON

environment:
  ZPE_GATEWAY_URL   the gateway (default http://localhost:8787)
  ZPE_ADMIN_TOKEN   the admin bearer token

exit status: 0 done, 1 refused (guardrails, nothing to raise), 2 usage error, 3 gateway unreachable`;

export interface RolloutIo {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  fetch?: typeof fetch;
}

class UsageError extends Error {}

type Json = Record<string, unknown>;

function number(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, not '${raw}'`);
  }
  return n;
}

function flagOf(raw: string | undefined): RolloutFlag {
  if (raw && (ROLLOUT_FLAGS as readonly string[]).includes(raw)) return raw as RolloutFlag;
  throw new UsageError(`FLAG must be one of ${ROLLOUT_FLAGS.join(', ')}${raw ? `, not '${raw}'` : ''}`);
}

function describe(flag: string, rollout: Json | undefined, legacyValue: unknown): string[] {
  if (!rollout) return [`${flag}: no rollout (legacy key: ${String(legacyValue)})`];
  const guard = (rollout.guard ?? {}) as Json;
  const guards = Object.entries(guard)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `${flag}: ${String(rollout.target)} for ${String(rollout.percent)}% of users (legacy key: ${String(legacyValue)})`,
    `  set by ${String(rollout.actor)}: ${String(rollout.reason)}; expires ${String(rollout.expires_at)}`,
    `  guard: ${guards.length > 0 ? guards.join(', ') : 'none'}`,
  ];
  const tripped = rollout.tripped as Json | null | undefined;
  if (tripped) {
    lines.push(
      `  ROLLED BACK automatically at ${String(tripped.at)}: ${String(tripped.guard)}`,
      `  evidence: ${JSON.stringify(tripped.evidence)}`,
      '  a new change resumes it: zpe-gateway rollout start|raise ...',
    );
  }
  return lines;
}

/** `zpe-gateway rollout ...` as a function: answers the exit status, so tests drive it in-process. */
export async function runRollout(argv: readonly string[], io: RolloutIo): Promise<number> {
  const request = io.fetch ?? fetch;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        percent: { type: 'string' },
        reason: { type: 'string' },
        ttl: { type: 'string' },
        actor: { type: 'string' },
        force: { type: 'boolean' },
        'max-error-ratio': { type: 'string' },
        window: { type: 'string' },
        'min-requests': { type: 'string' },
        'max-violations': { type: 'string' },
        'min-parity': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, rawFlag, ...extra] = positionals;
    if (values.help || command === undefined) {
      io.out(`${ROLLOUT_USAGE}\n`);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (!['start', 'raise', 'status', 'stop'].includes(command)) throw new UsageError(`unknown command '${command}'`);
    const base = (io.env.ZPE_GATEWAY_URL?.trim() || 'http://localhost:8787').replace(/\/+$/, '');
    const token = io.env.ZPE_ADMIN_TOKEN?.trim();
    if (!token) throw new UsageError('ZPE_ADMIN_TOKEN must hold the admin token');
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (values.actor) headers['x-zpe-actor'] = values.actor;
    const call = async (method: 'GET' | 'PATCH', body?: Json) => {
      let response: Response;
      try {
        response = await request(`${base}/api/zpe/admin/ops`, {
          method,
          headers,
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch (err) {
        throw new Unreachable(`${base}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const text = await response.text();
      let json: Json = {};
      try {
        json = JSON.parse(text) as Json;
      } catch {
        json = { error: { message: text.slice(0, 200) } };
      }
      return { status: response.status, json };
    };

    const current = await call('GET');
    if (current.status !== 200) return refused(io, current.json, current.status);
    const rollouts = (current.json.rollouts ?? {}) as Record<string, Json>;

    if (command === 'status') {
      const flags = rawFlag ? [flagOf(rawFlag)] : ROLLOUT_FLAGS;
      if (values.json) {
        io.out(`${JSON.stringify(Object.fromEntries(flags.map((f) => [f, rollouts[f] ?? null])), null, 2)}\n`);
      } else io.out(`${flags.flatMap((f) => describe(f, rollouts[f], current.json[f])).join('\n')}\n`);
      return 0;
    }

    const flag = flagOf(rawFlag);
    const existing = rollouts[flag];
    const running = existing && !existing.tripped && Number(existing.percent) > 0;
    const change: Json = {
      reason: values.reason ?? null,
      ttl_seconds: number(values.ttl, 'ttl', 1, Number.MAX_SAFE_INTEGER) ?? null,
      force: values.force === true ? true : null,
    };
    if (command === 'stop') {
      change.rollout = { [flag]: null };
    } else {
      const percent = number(values.percent, 'percent', 0.01, 100);
      if (percent === undefined) throw new UsageError(`${command} needs --percent N`);
      if (command === 'start' && running) {
        io.err(`refused: ${flag} is already rolled out to ${String(existing.percent)}%: use raise, or stop first\n`);
        return 1;
      }
      if (command === 'raise' && !existing) {
        io.err(`refused: ${flag} has no rollout to raise: use start\n`);
        return 1;
      }
      if (command === 'raise' && running && percent <= Number(existing.percent)) {
        io.err(
          `refused: raise only adds users (${String(existing.percent)}% now, ${percent}% asked): stop rolls back\n`,
        );
        return 1;
      }
      const guard = {
        max_error_ratio: number(values['max-error-ratio'], 'max-error-ratio', 0, 1),
        window_seconds: number(values.window, 'window', 10, 3600),
        min_requests: number(values['min-requests'], 'min-requests', 1, Number.MAX_SAFE_INTEGER),
        max_contract_violations: number(values['max-violations'], 'max-violations', 0, Number.MAX_SAFE_INTEGER),
        min_parity: number(values['min-parity'], 'min-parity', 0, 1),
      };
      const given = Object.fromEntries(Object.entries(guard).filter(([, v]) => v !== undefined));
      change.rollout = { [flag]: { percent, ...(Object.keys(given).length > 0 ? { guard: given } : {}) } };
    }
    const answer = await call('PATCH', change);
    if (answer.status !== 200) return refused(io, answer.json, answer.status);
    const after = ((answer.json.rollouts ?? {}) as Record<string, Json>)[flag];
    if (values.json) io.out(`${JSON.stringify(after ?? null, null, 2)}\n`);
    else
      io.out(`${describe(flag, after, answer.json[flag]).join('\n')}\nflags version ${String(answer.json.version)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof Unreachable) {
      io.err(`zpe-gateway rollout: gateway unreachable: ${error.message}\n`);
      return 3;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      io.err(`zpe-gateway rollout: ${error.message}\n\n${ROLLOUT_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

class Unreachable extends Error {}

/** The guardrails' (or the gateway's) answer, as the operator needs it. */
function refused(io: RolloutIo, json: Json, status: number): number {
  const error = (json.error ?? {}) as { message?: string; details?: { refusals?: string[]; forceable?: boolean } };
  const lines = [`refused (${status}): ${error.message ?? 'no message'}`];
  for (const refusal of error.details?.refusals ?? []) lines.push(`  - ${refusal}`);
  if (error.details?.forceable === true) lines.push('override with --force --reason TEXT (recorded as forced)');
  if (error.details?.forceable === false) lines.push('no --force overrides this');
  io.err(`${lines.join('\n')}\n`);
  return 1;
}
