import { Logger } from '@nestjs/common';
import { callLeaseNeed, claimLeaseFloor, type DispatchConfig } from '../../config/configuration';
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

  it('ensures a call fits in the lease: enough left answers at once, less is renewed on the spot', async () => {
    const { leases, repository, move } = leasesAt(renewAll);
    leases.hold([claim(1)], 1_000);
    move(3_000); // 12 s left
    expect(await leases.ensure(claim(1), 11_250)).toBe(true);
    expect(repository.renewClaims).not.toHaveBeenCalled();
    move(1_000); // 11 s left: a call of up to 11.25 s might outlive it
    expect(await leases.ensure(claim(1), 11_250)).toBe(true);
    expect(repository.renewClaims).toHaveBeenCalledWith([claim(1)]);
    expect(leases.leftMs(claim(1))).toBe(15_000);
  });

  it('gives up on a renewal stuck on a dead connection after CLAIM_RENEW_MS, so the next one can go', async () => {
    jest.useFakeTimers();
    const { leases, move } = leasesAt(() => new Promise<HeldClaim[]>(() => {}));
    leases.hold([claim(1)], 1_000);
    move(5_000);
    const renewing = leases.renew();
    const settled = expect(renewing).rejects.toThrow('no answer within 5000 ms');
    await jest.advanceTimersByTimeAsync(5_000);
    await settled;
  });

  it('a lease at its floor still lets a call through once renewed on the spot (review)', async () => {
    const [timeoutMs, flushMs] = [10_000, 250];
    const repository = {
      renewClaims: jest.fn((claims: readonly HeldClaim[]) => {
        now += 100; // the renewal's round trip
        return Promise.resolve([...claims]);
      }),
    };
    const config = {
      claimLeaseMs: claimLeaseFloor(timeoutMs, flushMs),
      claimRenewMs: 3_000,
    } as DispatchConfig;
    const leases = new ClaimLeases(repository as unknown as DispatchRepository, config);
    let now = 1_000;
    jest.spyOn(leases, 'now').mockImplementation(() => now);
    leases.hold([claim(1)], now);
    now += 2_000;
    expect(await leases.ensure(claim(1), callLeaseNeed(timeoutMs, flushMs))).toBe(true);
  });

  it('refuses a call when the claim could not be renewed, or may have run out already', async () => {
    const taken = leasesAt(() => Promise.resolve([])); // another worker took it over
    taken.leases.hold([claim(1)], 1_000);
    taken.move(4_000);
    expect(await taken.leases.ensure(claim(1), 11_250)).toBe(false);

    const failing = leasesAt(() => Promise.reject(new Error('Connection terminated')));
    failing.leases.hold([claim(1)], 1_000);
    failing.move(4_000);
    expect(await failing.leases.ensure(claim(1), 11_250)).toBe(false);

    const lapsed = leasesAt(renewAll);
    lapsed.leases.hold([claim(1)], 1_000);
    lapsed.move(15_000);
    expect(await lapsed.leases.ensure(claim(1), 1)).toBe(false);
    expect(lapsed.repository.renewClaims).not.toHaveBeenCalled();
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
