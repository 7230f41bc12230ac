/** Calendar dates as the manifest writes them: `YYYY-MM-DD`, always read as UTC midnight. */
export type IsoDate = string;

const DAY_MS = 24 * 3600 * 1000;

export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

export function dateToMs(date: IsoDate): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function isoDateOf(ms: number): IsoDate {
  return new Date(ms).toISOString().slice(0, 10);
}

export function todayUtc(now: number = Date.now()): IsoDate {
  return isoDateOf(now);
}

/** The `count` days ending with `last`, oldest first. */
export function daysEndingOn(last: IsoDate, count: number): IsoDate[] {
  const end = dateToMs(last);
  return Array.from({ length: count }, (_, i) => isoDateOf(end - (count - 1 - i) * DAY_MS));
}
