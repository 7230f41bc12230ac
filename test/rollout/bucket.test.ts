import { describe, expect, it } from 'vitest';
import { inRollout } from '../../src/rollout/bucket.js';
import { type Rollout, rolloutChoice } from '../../src/rollout/rollout.js';

const USERS = Array.from({ length: 10_000 }, (_, i) => `user_${i.toString(36)}${i % 7 === 0 ? '@corp' : ''}`);

describe('who a rollout holds', () => {
  it.each([1, 5, 10, 25, 30, 50, 99])('%s%% of 10 000 users, within one percentage point', (percent) => {
    const inside = USERS.filter((u) => inRollout('salt-a', percent, u)).length;
    expect(Math.abs((inside / USERS.length) * 100 - percent)).toBeLessThanOrEqual(1);
  });

  it('raising 10 -> 30 % keeps every user of the first 10 % in; 0 % holds nobody, 100 % everybody', () => {
    const ten = USERS.filter((u) => inRollout('salt-a', 10, u));
    const thirty = new Set(USERS.filter((u) => inRollout('salt-a', 30, u)));
    expect(ten.every((u) => thirty.has(u))).toBe(true);
    expect(thirty.size).toBeGreaterThan(ten.length);
    expect(USERS.some((u) => inRollout('salt-a', 0, u))).toBe(false);
    expect(USERS.every((u) => inRollout('salt-a', 100, u))).toBe(true);
  });

  it('another salt picks other users: a new rollout is not the same 10 %', () => {
    const a = new Set(USERS.filter((u) => inRollout('salt-a', 10, u)));
    const b = USERS.filter((u) => inRollout('salt-b', 10, u));
    const both = b.filter((u) => a.has(u)).length;
    // Independent picks overlap by about 10 % of 10 %.
    expect(both / b.length).toBeLessThan(0.2);
  });

  it('names the bucket in the route reason', () => {
    const rollout = { percent: 10, target: 'next-gen', salt: 'salt-a' } as Rollout;
    const insider = USERS.find((u) => inRollout('salt-a', 10, u)) ?? '';
    const outsider = USERS.find((u) => !inRollout('salt-a', 10, u)) ?? '';
    expect(rolloutChoice('submission_route', rollout, insider).reason).toBe('rollout:submission_route=next-gen@10%');
    expect(rolloutChoice('submission_route', rollout, outsider).reason).toBe(
      'rollout:submission_route=redis-worker@90%',
    );
    expect(rolloutChoice('submission_route', rollout, undefined).inside).toBe(false);
  });
});

describe('a rollout at 100 %', () => {
  it('holds everybody, a request without a known user too: the legacy key says the target', () => {
    const rollout = { percent: 100, target: 'next-gen', salt: 'salt-a' } as Rollout;
    expect(rolloutChoice('submission_route', rollout, undefined)).toEqual({
      value: 'next-gen',
      inside: true,
      reason: 'rollout:submission_route=next-gen@100%',
    });
  });
});
