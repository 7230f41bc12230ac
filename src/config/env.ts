import { z } from 'zod';
import { parseOperationTimeouts } from '../backends/http/timeouts.js';
import type { OperationId } from '../contract/operations.js';
import { ResultReadSource, SubmissionRoute } from '../contract/schemas/ops.js';
import { BOOLEAN_SPELLINGS, parseBoolean } from '../flags/flags.js';

/** Thrown at start when the environment holds a value the gateway cannot run with; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = parseBoolean(raw);
      if (value !== undefined) return value;
      const spellings = [...BOOLEAN_SPELLINGS.true, ...BOOLEAN_SPELLINGS.false].join('/');
      ctx.addIssue({ code: 'custom', message: `expected one of ${spellings}, got '${raw}'` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const n = Number(raw.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, got '${raw}'` });
        return z.NEVER;
      }
      return n;
    });

const oneOf = <T extends string>(values: readonly T[], fallback: NoInfer<T>) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const v = raw.trim() as T;
      if (values.includes(v)) return v;
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got '${raw}'` });
      return z.NEVER;
    });

const text = z
  .string()
  .optional()
  .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()));

const url = (protocols: string[]) =>
  text.refine(
    (raw) => {
      if (raw === undefined) return true;
      try {
        return protocols.includes(new URL(raw).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a ${protocols.join(' or ')} URL` },
  );

const list = text.transform((raw) =>
  raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [],
);

/** Every variable the gateway reads, with the legacy control plane's defaults (legacy-redis-layout.md, "Configuration"). */
const Env = z.object({
  PORT: int(8787, 0, 65535),
  HOST: text.transform((v) => v ?? '0.0.0.0'),
  ZPE_REDIS_URL: url(['redis:', 'rediss:']).transform((v) => v ?? 'redis://localhost:6379/0'),
  ZPE_QUEUE_NAME: text.transform((v) => v ?? 'zpe'),
  ZPE_ADMIN_TOKEN: text,
  ZPE_ENROLL_TOKEN_TTL_SECONDS: int(3600, 1),
  ZPE_WORKER_TOKEN_TTL_SECONDS: int(604800, 1),
  ZPE_RESULT_TTL_SECONDS: int(604800, 1),
  ZPE_LEASE_TTL_SECONDS: int(600, 1),
  ZPE_RETRY_MAX: int(3, 0),
  ZPE_RETRY_BASE_DELAY_SECONDS: int(10, 0),
  ZPE_RETRY_MAX_DELAY_SECONDS: int(300, 0),
  ZPE_SUBMISSION_ENABLED: bool(true),
  ZPE_DEQUEUE_ENABLED: bool(true),
  ZPE_CUTOVER_SUBMISSION_ROUTE: oneOf(SubmissionRoute.options, 'redis-worker'),
  ZPE_CUTOVER_RESULT_READ_SOURCE: oneOf(ResultReadSource.options, 'redis'),
  ZPE_LEGACY_WORKER_ENDPOINTS_ENABLED: bool(true),
  ZPE_OPS_FLAG_TTL_SECONDS: int(3600, 1),
  ZPE_OPS_FLAG_MAX_TTL_SECONDS: int(86400, 1),
  ZPE_FLAG_STALENESS_MS: int(1000, 20, 60_000),
  AUTH_MODE: oneOf(['clerk', 'jwt', 'dev-bypass'], 'clerk'),
  AUTH_CLERK_ISSUER: url(['https:', 'http:']),
  AUTH_CLERK_AUDIENCE: text,
  AUTH_ALLOWED_EMAILS: list,
  AUTH_DEV_BYPASS_USER_ID_HEADER: text.transform((v) => v ?? 'X-Dev-User-Id'),
  AUTH_DEV_BYPASS_EMAIL_HEADER: text.transform((v) => v ?? 'X-Dev-User-Email'),
  AUTH_REQUIRE_EXP: bool(true),
  AUTH_CLOCK_SKEW_SECONDS: int(5, 0, 3600),
  // The gateway's own settings.
  ZPE_LEGACY_URL: url(['http:', 'https:']),
  ZPE_NEXTGEN_URL: url(['http:', 'https:']),
  ZPE_NEXTGEN_BASE_PATH: text,
  ZPE_BUILTIN_LEGACY: bool(true),
  ZPE_REDIS_TIMEOUT_MS: int(1000, 50, 60_000),
  ZPE_MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024),
  ZPE_MAX_JSON_DEPTH: int(64, 1, 10_000),
  ZPE_UPSTREAM_TIMEOUT_MS: int(10_000, 100, 300_000),
  ZPE_UPSTREAM_TIMEOUTS_MS: text.transform((raw, ctx) => {
    try {
      return parseOperationTimeouts(raw);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  }),
  ZPE_SHUTDOWN_GRACE_MS: int(10_000, 0, 600_000),
  // Node's HTTP server: how long a client may take to send its headers, and its whole request.
  ZPE_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  ZPE_REQUEST_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  ZPE_STRICT_RESPONSES: bool(false),
  ZPE_PARITY_MIN_SAMPLES: int(100, 0),
  ZPE_PARITY_MIN_RATIO: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return 0.99;
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        ctx.addIssue({ code: 'custom', message: `expected a fraction from 0 to 1, got '${raw}'` });
        return z.NEVER;
      }
      return n;
    }),
  ZPE_DEPRECATION_DOCS_URL: url(['https:', 'http:']),
  ZPE_LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error', 'silent'], 'info'),
  // Operations: drain on shutdown, the admin listener, per-backend admin credentials, Redis Sentinel, OIDC.
  ZPE_SHUTDOWN_DRAIN_MS: int(5_000, 0, 600_000),
  ZPE_ADMIN_HOST: text,
  ZPE_ADMIN_PORT: int(-1, 0, 65535),
  ZPE_LEGACY_ADMIN_TOKEN: text,
  ZPE_NEXTGEN_ADMIN_TOKEN: text,
  ZPE_REDIS_SENTINELS: list.transform((entries, ctx) => {
    const sentinels: { host: string; port: number }[] = [];
    for (const entry of entries) {
      const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match?.[1] || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port[,host:port...], got '${entry}'` });
        return z.NEVER;
      }
      sentinels.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    return sentinels;
  }),
  ZPE_REDIS_SENTINEL_NAME: text,
  ZPE_REDIS_SENTINEL_PASSWORD: text,
  AUTH_ISSUER: url(['https:', 'http:']),
  AUTH_AUDIENCE: text,
  AUTH_JWKS_URL: url(['https:', 'http:']),
});

export type Env = z.output<typeof Env>;

export interface Config {
  port: number;
  host: string;
  redisUrl: string;
  queueName: string;
  adminToken: string | undefined;
  ttl: { enrollToken: number; workerToken: number; result: number; lease: number; opsFlag: number; opsFlagMax: number };
  retry: { max: number; baseDelay: number; maxDelay: number };
  /** No request is routed by flags read from storage longer ago than this (while the storage answers). */
  flagStalenessMs: number;
  flagDefaults: {
    submission_enabled: boolean;
    dequeue_enabled: boolean;
    submission_route: 'redis-worker' | 'next-gen';
    result_read_source: 'redis' | 'projection';
    legacy_worker_endpoints_enabled: boolean;
  };
  auth: {
    /** `jwt` and `clerk` are the same: a JWT verified against the issuer's keys (`clerk` is the legacy's name). */
    mode: 'clerk' | 'jwt' | 'dev-bypass';
    issuer: string | undefined;
    audience: string | undefined;
    /** Where the signing keys are; undefined: found through OIDC discovery from the issuer. */
    jwksUrl?: string | undefined;
    allowedEmails: string[];
    devUserIdHeader: string;
    devEmailHeader: string;
    /** JWTs without `exp` are refused. */
    requireExp?: boolean;
    /** Tolerated clock difference with the issuer for `exp`, `nbf` and `iat`. */
    clockSkewSeconds?: number;
  };
  legacyUrl: string | undefined;
  nextgenUrl: string | undefined;
  nextgenBasePath: string | undefined;
  builtinLegacy: boolean;
  redisTimeoutMs: number;
  maxBodyBytes: number;
  /** JSON request bodies nested deeper answer 400. */
  maxJsonDepth: number;
  upstreamTimeoutMs: number;
  /** Per-operation upstream budgets overriding upstreamTimeoutMs, e.g. longer for file downloads. */
  upstreamTimeouts: Partial<Record<OperationId, number>>;
  shutdownGraceMs: number;
  /** Node's HTTP server: the client's headers and whole request must arrive within these. */
  server: { headersTimeoutMs: number; requestTimeoutMs: number };
  /** Next-gen answers that break the contract become 502 instead of being counted and logged. */
  strictResponses: boolean;
  /** The shadow-read parity that moving result_read_source to projection needs. */
  parity: { minSamples: number; minRatio: number };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where deprecated operations' answers point with `Link: <url>; rel="deprecation"`. */
  deprecationDocsUrl?: string;
  /** How long /readyz answers 503 while the listener still serves, after SIGTERM, before it stops accepting. */
  shutdownDrainMs: number;
  /** A second listener for the admin operations, /metrics and /_gateway, which the public one then refuses. */
  adminListener?: { host: string; port: number } | undefined;
  /** Each backend's own operator credential, sent instead of the caller's token on the emergency revoke. */
  backendAdminTokens: { legacy?: string | undefined; nextgen?: string | undefined };
  /** Redis through Sentinel: ZPE_REDIS_URL then gives only the database, credentials and TLS. */
  redisSentinel?:
    | { sentinels: { host: string; port: number }[]; name: string; password?: string | undefined }
    | undefined;
}

/** Reads and checks the environment; throws ConfigError naming every bad variable. */
export function loadConfig(source: Record<string, string | undefined>): Config {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.ZPE_REDIS_URL,
    queueName: e.ZPE_QUEUE_NAME,
    adminToken: e.ZPE_ADMIN_TOKEN,
    ttl: {
      enrollToken: e.ZPE_ENROLL_TOKEN_TTL_SECONDS,
      workerToken: e.ZPE_WORKER_TOKEN_TTL_SECONDS,
      result: e.ZPE_RESULT_TTL_SECONDS,
      lease: e.ZPE_LEASE_TTL_SECONDS,
      opsFlag: e.ZPE_OPS_FLAG_TTL_SECONDS,
      opsFlagMax: e.ZPE_OPS_FLAG_MAX_TTL_SECONDS,
    },
    retry: { max: e.ZPE_RETRY_MAX, baseDelay: e.ZPE_RETRY_BASE_DELAY_SECONDS, maxDelay: e.ZPE_RETRY_MAX_DELAY_SECONDS },
    flagStalenessMs: e.ZPE_FLAG_STALENESS_MS,
    flagDefaults: {
      submission_enabled: e.ZPE_SUBMISSION_ENABLED,
      dequeue_enabled: e.ZPE_DEQUEUE_ENABLED,
      submission_route: e.ZPE_CUTOVER_SUBMISSION_ROUTE,
      result_read_source: e.ZPE_CUTOVER_RESULT_READ_SOURCE,
      legacy_worker_endpoints_enabled: e.ZPE_LEGACY_WORKER_ENDPOINTS_ENABLED,
    },
    auth: {
      mode: e.AUTH_MODE,
      issuer: e.AUTH_ISSUER ?? e.AUTH_CLERK_ISSUER,
      audience: e.AUTH_AUDIENCE ?? e.AUTH_CLERK_AUDIENCE,
      jwksUrl: e.AUTH_JWKS_URL,
      allowedEmails: e.AUTH_ALLOWED_EMAILS,
      devUserIdHeader: e.AUTH_DEV_BYPASS_USER_ID_HEADER,
      devEmailHeader: e.AUTH_DEV_BYPASS_EMAIL_HEADER,
      requireExp: e.AUTH_REQUIRE_EXP,
      clockSkewSeconds: e.AUTH_CLOCK_SKEW_SECONDS,
    },
    legacyUrl: e.ZPE_LEGACY_URL,
    nextgenUrl: e.ZPE_NEXTGEN_URL,
    nextgenBasePath: e.ZPE_NEXTGEN_BASE_PATH,
    builtinLegacy: e.ZPE_BUILTIN_LEGACY && e.ZPE_LEGACY_URL === undefined,
    redisTimeoutMs: e.ZPE_REDIS_TIMEOUT_MS,
    maxBodyBytes: e.ZPE_MAX_BODY_BYTES,
    maxJsonDepth: e.ZPE_MAX_JSON_DEPTH,
    upstreamTimeoutMs: e.ZPE_UPSTREAM_TIMEOUT_MS,
    upstreamTimeouts: e.ZPE_UPSTREAM_TIMEOUTS_MS,
    shutdownGraceMs: e.ZPE_SHUTDOWN_GRACE_MS,
    server: { headersTimeoutMs: e.ZPE_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.ZPE_REQUEST_TIMEOUT_MS },
    strictResponses: e.ZPE_STRICT_RESPONSES,
    parity: { minSamples: e.ZPE_PARITY_MIN_SAMPLES, minRatio: e.ZPE_PARITY_MIN_RATIO },
    logLevel: e.ZPE_LOG_LEVEL,
    deprecationDocsUrl: e.ZPE_DEPRECATION_DOCS_URL,
    shutdownDrainMs: e.ZPE_SHUTDOWN_DRAIN_MS,
    adminListener:
      e.ZPE_ADMIN_PORT >= 0 ? { host: e.ZPE_ADMIN_HOST ?? '127.0.0.1', port: e.ZPE_ADMIN_PORT } : undefined,
    backendAdminTokens: { legacy: e.ZPE_LEGACY_ADMIN_TOKEN, nextgen: e.ZPE_NEXTGEN_ADMIN_TOKEN },
    redisSentinel:
      e.ZPE_REDIS_SENTINELS.length > 0
        ? {
            sentinels: e.ZPE_REDIS_SENTINELS,
            name: e.ZPE_REDIS_SENTINEL_NAME ?? 'mymaster',
            password: e.ZPE_REDIS_SENTINEL_PASSWORD,
          }
        : undefined,
  };
  const problems: string[] = [];
  if (e.ZPE_ADMIN_HOST !== undefined && e.ZPE_ADMIN_PORT < 0) {
    problems.push('  ZPE_ADMIN_PORT: required with ZPE_ADMIN_HOST');
  }
  if (config.adminListener && config.adminListener.port !== 0 && config.adminListener.port === config.port) {
    problems.push('  ZPE_ADMIN_PORT: must differ from PORT');
  }
  if (e.ZPE_REDIS_SENTINEL_NAME !== undefined && !config.redisSentinel) {
    problems.push('  ZPE_REDIS_SENTINEL_NAME: needs ZPE_REDIS_SENTINELS (host:port of each sentinel)');
  }
  if (config.builtinLegacy && config.auth.mode !== 'dev-bypass' && !config.auth.issuer) {
    problems.push(
      `  AUTH_CLERK_ISSUER: required (or AUTH_ISSUER) when AUTH_MODE=${config.auth.mode} and the built-in legacy backend serves users`,
    );
  }
  if (config.ttl.opsFlag > config.ttl.opsFlagMax) {
    problems.push('  ZPE_OPS_FLAG_TTL_SECONDS: must not exceed ZPE_OPS_FLAG_MAX_TTL_SECONDS');
  }
  if (config.retry.baseDelay > config.retry.maxDelay) {
    problems.push('  ZPE_RETRY_BASE_DELAY_SECONDS: must not exceed ZPE_RETRY_MAX_DELAY_SECONDS');
  }
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    problems.push('  ZPE_HEADERS_TIMEOUT_MS: must not exceed ZPE_REQUEST_TIMEOUT_MS');
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  return config;
}
