import type { Check } from '../rules.js';
import { endpointCheck } from './endpoints.js';
import { lifecycleChecks } from './lifecycle.js';
import { parameterCheck } from './parameters.js';
import { requestBodyCheck } from './request-body.js';
import { responseCheck } from './responses.js';

/** Every check `diffContracts` runs, in report order; add new ones here (lifecycle ones in lifecycle.ts). */
export const CHECKS: readonly Check[] = [
  endpointCheck,
  parameterCheck,
  requestBodyCheck,
  responseCheck,
  ...lifecycleChecks,
];
