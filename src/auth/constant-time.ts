const encoder = new TextEncoder();

/**
 * A comparer against one fixed secret whose running time depends only on the secret's length, never on
 * how much of a candidate matches. Synchronous on purpose (Web Crypto digests are async, and
 * node:crypto is unavailable on Workers), so callers like `isAdmin` can stay synchronous.
 */
export function constantTimeMatcher(secret: string): (candidate: string) => boolean {
  const expected = encoder.encode(secret);
  return (candidate) => {
    const actual = encoder.encode(candidate);
    // Folding the length difference in, and always walking the whole secret, keeps a wrong length
    // from ending the loop early; indexing modulo keeps the walk in bounds for short candidates.
    let diff = expected.length ^ actual.length;
    const n = actual.length;
    for (let i = 0; i < expected.length; i++) {
      diff |= expected[i]! ^ (n === 0 ? 0 : actual[i % n]!);
    }
    return diff === 0;
  };
}
