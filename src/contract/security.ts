/**
 * Security schemes of the contract. The names are referenced by the routes; the gateway's identity
 * code lives in src/auth and must agree with what is documented here.
 */
export const securitySchemes = {
  userBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A user session JWT (RS256/384/512 or EdDSA) from the configured issuer; the user id is `sub`. ' +
      'In development (`AUTH_MODE=dev-bypass`) the user comes from the `X-Dev-User-Id` / `X-Dev-User-Email` headers instead.',
  },
  devUserId: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Dev-User-Id',
    description: 'Development only (`AUTH_MODE=dev-bypass`): the user id. The header name is configurable.',
  },
  workerBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'A worker token issued at registration (`POST /api/zpe/compute/servers`).',
  },
  adminBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token (`ZPE_ADMIN_TOKEN`). With none configured, admin operations are refused.',
  },
} as const;

export type SecuritySchemeName = keyof typeof securitySchemes;

type Requirement = Partial<Record<SecuritySchemeName, string[]>>;

export const USER: Requirement[] = [{ userBearer: [] }, { devUserId: [] }];
export const WORKER: Requirement[] = [{ workerBearer: [] }];
export const ADMIN: Requirement[] = [{ adminBearer: [] }];
