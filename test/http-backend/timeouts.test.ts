import { describe, expect, it } from 'vitest';
import { parseOperationTimeouts } from '../../src/backends/http/timeouts.js';

describe('per-operation upstream budgets from one setting', () => {
  it('reads operationId=ms pairs, ignoring blanks', () => {
    expect(parseOperationTimeouts(' getJobResult=30000, downloadJobFile = 60000 ,')).toEqual({
      getJobResult: 30_000,
      downloadJobFile: 60_000,
    });
    expect(parseOperationTimeouts(undefined)).toEqual({});
  });

  it('names every entry it cannot use', () => {
    expect(() => parseOperationTimeouts('getJob=10,submitJob=fast,leaseJob=0')).toThrow(
      "expected operationId=ms pairs: unknown operation 'getJob'; 'submitJob=fast' needs a whole number of ms; 'leaseJob=0' needs a whole number of ms",
    );
  });
});
