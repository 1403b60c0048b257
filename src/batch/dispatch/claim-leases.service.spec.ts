import { Logger } from '@nestjs/common';
import type { DispatchConfig } from '../../config/configuration';
import { ClaimLeases } from './claim-leases.service';
import type { DispatchRepository, HeldClaim } from './dispatch.repository';

const CONFIG = { claimLeaseMs: 15_000, claimRenewMs: 5_000 } as DispatchConfig;
const claim = (seq: number, token = 1): HeldClaim => ({ batchId: 'b1', seq, token });

/** Leases on a clock the test moves, over a repository that renews what it is told to. */
function leasesAt(renewClaims: (claims: readonly HeldClaim[]) => Promise<HeldClaim[]>) {
  const repository = { renewClaims: jest.fn(renewClaims) };
  const leases = new ClaimLeases(repository as unknown as DispatchRepository, CONFIG);
  let now = 1_000;
  jest.spyOn(leases, 'now').mockImplementation(() => now);
  return {
    leases,
    repository,
    move: (ms: number) => (now += ms),
  };
}

const renewAll = (claims: readonly HeldClaim[]) => Promise.resolve([...claims]);

describe('ClaimLeases', () => {
  afterEach(() => jest.useRealTimers());

  it('counts a lease from before its claim was sent, and refuses it once it may have run out', () => {
    const { leases, move } = leasesAt(renewAll);
    leases.hold([claim(1)], 1_000);
    move(400);
    expect(leases.leftMs(claim(1))).toBe(14_600);
    // Another token (a later claim of the same message) is not this claim.
    expect(leases.leftMs(claim(1, 2))).toBe(0);
    move(14_600);
    expect(leases.leftMs(claim(1))).toBe(0);
  });

  it('renews only claims held half an interval or more, in one statement, from the moment it was sent', async () => {
    const { leases, repository, move } = leasesAt(renewAll);
    leases.hold([claim(1), claim(2)], 1_000);
    move(2_400);
    leases.hold([claim(3)], 3_400);
    move(100);
    await leases.renew();
    expect(repository.renewClaims).toHaveBeenCalledTimes(1);
    expect(repository.renewClaims).toHaveBeenCalledWith([claim(1), claim(2)]);
    expect(leases.leftMs(claim(1))).toBe(15_000);
    expect(leases.leftMs(claim(3))).toBe(14_900);
  });

  it('keeps the old lease of a claim the statement did not renew, and never renews a lapsed one', async () => {
    const { leases, repository, move } = leasesAt((claims) =>
      Promise.resolve(claims.filter((c) => c.seq !== 2)),
    );
    leases.hold([claim(1), claim(2)], 1_000);
    move(5_000);
    await leases.renew();
    expect(leases.leftMs(claim(1))).toBe(15_000);
    expect(leases.leftMs(claim(2))).toBe(10_000);
    move(10_000);
    await leases.renew();
    expect(repository.renewClaims).toHaveBeenLastCalledWith([claim(1)]);
    expect(leases.leftMs(claim(2))).toBe(0);
    expect(leases.size).toBe(1);
  });

  it('forgets a claim given back or written, but not a later claim of the same message', async () => {
    const { leases, repository, move } = leasesAt(renewAll);
    leases.hold([claim(1), claim(2, 3)], 1_000);
    leases.forget([claim(1), claim(2, 2)]);
    expect(leases.size).toBe(1);
    move(5_000);
    await leases.renew();
    expect(repository.renewClaims).toHaveBeenCalledWith([claim(2, 3)]);
  });

  it('retries a failed renewal within a second, logging it, then renews every interval', async () => {
    jest.useFakeTimers();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let failures = 1;
    const { leases, repository, move } = leasesAt((claims) =>
      failures-- > 0 ? Promise.reject(new Error('connection lost')) : renewAll(claims),
    );
    leases.hold([claim(1)], 1_000);
    move(5_000);
    leases.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(repository.renewClaims).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connection lost'));
    move(1_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(repository.renewClaims).toHaveBeenCalledTimes(2);
    expect(leases.leftMs(claim(1))).toBe(15_000);
    move(4_999);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(repository.renewClaims).toHaveBeenCalledTimes(2);
    move(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(repository.renewClaims).toHaveBeenCalledTimes(3);
    leases.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(20_000);
    expect(repository.renewClaims).toHaveBeenCalledTimes(3);
  });
});
