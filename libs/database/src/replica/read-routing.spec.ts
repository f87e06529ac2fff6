import { chooseReadTarget, type ReadRoutingInput } from './read-routing';
import { parseLsn } from './wal-lsn';

const NOW = 1_000_000;

function input(overrides: Partial<ReadRoutingInput> = {}): ReadRoutingInput {
  return {
    replicaReads: true,
    replica: { up: true, replayLsn: parseLsn('0/5000'), lagMs: 10, lagBytes: 0n, checkedAt: NOW - 50 },
    clientLsn: undefined,
    maxLagMs: 1_000,
    staleAfterMs: 2_000,
    now: NOW,
    ...overrides,
  };
}

describe('chooseReadTarget', () => {
  it('reads from a fresh replica when the client has written nothing', () => {
    expect(chooseReadTarget(input())).toEqual({ target: 'replica', reason: 'replica-fresh' });
  });

  it('reads from the replica once it has replayed past the client write', () => {
    expect(chooseReadTarget(input({ clientLsn: parseLsn('0/5000') }))).toEqual({ target: 'replica', reason: 'replica-fresh' });
    expect(chooseReadTarget(input({ clientLsn: parseLsn('0/4FFF') })).target).toBe('replica');
  });

  it('keeps the client on the primary until the replica has replayed its write', () => {
    expect(chooseReadTarget(input({ clientLsn: parseLsn('0/5001') }))).toEqual({ target: 'primary', reason: 'read-your-writes' });
  });

  it('ignores the client write when read-your-writes routing is turned off (the lab measures what that costs)', () => {
    expect(chooseReadTarget(input({ clientLsn: parseLsn('0/5001'), readYourWrites: false }))).toEqual({
      target: 'replica',
      reason: 'replica-fresh',
    });
  });

  it('obeys the replicaReads switch before anything else', () => {
    expect(chooseReadTarget(input({ replicaReads: false }))).toEqual({ target: 'primary', reason: 'switched-off' });
  });

  it('skips a replica that is down, lagging, or whose probe is too old to trust', () => {
    expect(chooseReadTarget(input({ replica: { up: false, checkedAt: NOW, error: 'ECONNREFUSED' } })).reason).toBe('replica-down');
    expect(chooseReadTarget(input({ replica: { up: true, replayLsn: parseLsn('0/5000'), lagMs: 1_001, checkedAt: NOW } })).reason).toBe(
      'replica-lagging',
    );
    expect(chooseReadTarget(input({ replica: { up: true, replayLsn: parseLsn('0/5000'), lagMs: 0, checkedAt: NOW - 2_001 } })).reason).toBe(
      'replica-unknown',
    );
  });
});
