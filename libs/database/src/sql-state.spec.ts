import { sqlState } from './sql-state';

describe('sqlState', () => {
  it('reads the SQLSTATE of a driver error, or of the one TypeORM wraps', () => {
    expect(sqlState(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe('23505');
    expect(sqlState(Object.assign(new Error('query failed'), { driverError: { code: '55P03' } }))).toBe('55P03');
  });

  it('has none for a network error or something that is not an error', () => {
    expect(sqlState(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(sqlState('nope')).toBeUndefined();
    expect(sqlState(undefined)).toBeUndefined();
  });
});
