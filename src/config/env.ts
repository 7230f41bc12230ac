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
  AUTH_MODE: oneOf(['clerk', 'dev-bypass'], 'clerk'),
  AUTH_CLERK_ISSUER: url(['https:', 'http:']),
  AUTH_CLERK_AUDIENCE: text,
  AUTH_ALLOWED_EMAILS: list,
  AUTH_DEV_BYPASS_USER_ID_HEADER: text.transform((v) => v ?? 'X-Dev-User-Id'),
  AUTH_DEV_BYPASS_EMAIL_HEADER: text.transform((v) => v ?? 'X-Dev-User-Email'),
  // The gateway's own settings.
  ZPE_LEGACY_URL: url(['http:', 'https:']),
  ZPE_NEXTGEN_URL: url(['http:', 'https:']),
  ZPE_NEXTGEN_BASE_PATH: text,
  ZPE_BUILTIN_LEGACY: bool(true),
  ZPE_REDIS_TIMEOUT_MS: int(1000, 50, 60_000),
  ZPE_MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024),
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
  flagDefaults: {
    submission_enabled: boolean;
    dequeue_enabled: boolean;
    submission_route: 'redis-worker' | 'next-gen';
    result_read_source: 'redis' | 'projection';
    legacy_worker_endpoints_enabled: boolean;
  };
  auth: {
    mode: 'clerk' | 'dev-bypass';
    issuer: string | undefined;
    audience: string | undefined;
    allowedEmails: string[];
    devUserIdHeader: string;
    devEmailHeader: string;
  };
  legacyUrl: string | undefined;
  nextgenUrl: string | undefined;
  nextgenBasePath: string | undefined;
  builtinLegacy: boolean;
  redisTimeoutMs: number;
  maxBodyBytes: number;
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
    flagDefaults: {
      submission_enabled: e.ZPE_SUBMISSION_ENABLED,
      dequeue_enabled: e.ZPE_DEQUEUE_ENABLED,
      submission_route: e.ZPE_CUTOVER_SUBMISSION_ROUTE,
      result_read_source: e.ZPE_CUTOVER_RESULT_READ_SOURCE,
      legacy_worker_endpoints_enabled: e.ZPE_LEGACY_WORKER_ENDPOINTS_ENABLED,
    },
    auth: {
      mode: e.AUTH_MODE,
      issuer: e.AUTH_CLERK_ISSUER,
      audience: e.AUTH_CLERK_AUDIENCE,
      allowedEmails: e.AUTH_ALLOWED_EMAILS,
      devUserIdHeader: e.AUTH_DEV_BYPASS_USER_ID_HEADER,
      devEmailHeader: e.AUTH_DEV_BYPASS_EMAIL_HEADER,
    },
    legacyUrl: e.ZPE_LEGACY_URL,
    nextgenUrl: e.ZPE_NEXTGEN_URL,
    nextgenBasePath: e.ZPE_NEXTGEN_BASE_PATH,
    builtinLegacy: e.ZPE_BUILTIN_LEGACY && e.ZPE_LEGACY_URL === undefined,
    redisTimeoutMs: e.ZPE_REDIS_TIMEOUT_MS,
    maxBodyBytes: e.ZPE_MAX_BODY_BYTES,
    upstreamTimeoutMs: e.ZPE_UPSTREAM_TIMEOUT_MS,
    upstreamTimeouts: e.ZPE_UPSTREAM_TIMEOUTS_MS,
    shutdownGraceMs: e.ZPE_SHUTDOWN_GRACE_MS,
    server: { headersTimeoutMs: e.ZPE_HEADERS_TIMEOUT_MS, requestTimeoutMs: e.ZPE_REQUEST_TIMEOUT_MS },
    strictResponses: e.ZPE_STRICT_RESPONSES,
    parity: { minSamples: e.ZPE_PARITY_MIN_SAMPLES, minRatio: e.ZPE_PARITY_MIN_RATIO },
    logLevel: e.ZPE_LOG_LEVEL,
    deprecationDocsUrl: e.ZPE_DEPRECATION_DOCS_URL,
  };
  const problems: string[] = [];
  if (config.builtinLegacy && config.auth.mode === 'clerk' && !config.auth.issuer) {
    problems.push('  AUTH_CLERK_ISSUER: required when AUTH_MODE=clerk and the built-in legacy backend serves users');
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
