import { defaultSwitches } from './switch-names';

describe('defaultSwitches', () => {
  it('turns every pattern on unless told otherwise', () => {
    expect(defaultSwitches({})).toEqual({ cache: true, breakers: true, async: true, replicaReads: true });
  });

  it('reads TENK_SWITCH_<NAME>', () => {
    expect(defaultSwitches({ TENK_SWITCH_CACHE: 'off', TENK_SWITCH_REPLICA_READS: 'no' })).toEqual({
      cache: false,
      breakers: true,
      async: true,
      replicaReads: false,
    });
  });

  it('names a bad value', () => {
    expect(() => defaultSwitches({ TENK_SWITCH_BREAKERS: 'maybe' })).toThrow('TENK_SWITCH_BREAKERS="maybe": expected on or off');
    expect(() => defaultSwitches({ TENK_SWITCH_REPLICA_READS: 'maybe' })).toThrow('TENK_SWITCH_REPLICA_READS="maybe": expected on or off');
  });
});
