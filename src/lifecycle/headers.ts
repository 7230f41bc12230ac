import { dateToMs, type IsoDate } from './dates.js';
import type { OperationLifecycle } from './derive.js';

type Deprecated = Extract<OperationLifecycle, { state: 'deprecated' }>;

/** RFC 9745: a structured-field Date, `@` and the epoch seconds of the day's start. */
export function structuredDate(date: IsoDate): string {
  return `@${Math.floor(dateToMs(date) / 1000)}`;
}

/** RFC 8594 / RFC 9110 IMF-fixdate, e.g. `Mon, 01 Mar 2027 00:00:00 GMT`. */
export function imfFixdate(date: IsoDate): string {
  return new Date(dateToMs(date)).toUTCString();
}

export function successorLink(successor: string): string {
  return `<${successor}>; rel="successor-version"`;
}

/** What every answer of a deprecated operation carries: when, until when, what replaces it, and why (docs). */
export function deprecationHeaders(lifecycle: Deprecated, docsUrl?: string): [name: string, value: string][] {
  const links = [successorLink(lifecycle.successor)];
  if (docsUrl) links.push(`<${docsUrl}>; rel="deprecation"`);
  return [
    ['Deprecation', structuredDate(lifecycle.deprecation)],
    ['Sunset', imfFixdate(lifecycle.sunset)],
    ['Link', links.join(', ')],
  ];
}
