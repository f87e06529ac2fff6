import { Attempt } from './attempt';

describe('Attempt tried set', () => {
  it('tracks peers by index, beyond 32 too', () => {
    const attempt = new Attempt();
    for (const index of [0, 5, 31, 32, 63, 64, 200]) {
      expect(attempt.isTried(index)).toBe(false);
      attempt.markTried(index);
      expect(attempt.isTried(index)).toBe(true);
    }
    expect(attempt.isTried(1)).toBe(false);
    expect(attempt.isTried(33)).toBe(false);
    expect(attempt.isTried(199)).toBe(false);
  });
});
