/**
 * Which users a rollout holds: a stable hash of the rollout's salt and the user id, as one of
 * 10 000 buckets. A user is in while their bucket is below the percentage (in hundredths), so the
 * same user lands the same way on every instance and raising the percentage only adds users.
 */
export const BUCKETS = 10_000;

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser so that near ids spread evenly. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function bucketOf(salt: string, userId: string): number {
  return hash32(`${salt}\u0000${userId}`) % BUCKETS;
}

export function inRollout(salt: string, percent: number, userId: string): boolean {
  return bucketOf(salt, userId) < Math.round(percent * (BUCKETS / 100));
}
