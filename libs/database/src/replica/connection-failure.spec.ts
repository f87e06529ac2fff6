import { isConnectionFailure } from './connection-failure';

describe('isConnectionFailure', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55433'), { code: 'ECONNREFUSED' })],
    ['a server shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    [
      'a database that takes no connections (FATAL at connect)',
      Object.assign(new Error('database "shard_2" is not currently accepting connections'), { code: '55000', severity: 'FATAL' }),
    ],
    ['a wrapped driver error', Object.assign(new Error('query failed'), { driverError: { code: '08006' } })],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
  ])('says yes to %s', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' })],
    ['an ERROR-level 55000', Object.assign(new Error('object not in prerequisite state'), { code: '55000', severity: 'ERROR' })],
    ['not an error at all', 'nope'],
  ])('says no to %s', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });
});
