import { startedIn } from './started-in';

describe('startedIn (the npm start box)', () => {
  it('counts the whole command, and says how much of it was installing', () => {
    expect(startedIn(0, 60_000, 95_400)).toBe('started in 95 s, 60 s of it installing');
  });

  it('says nothing of installing when nothing was installed (a few seconds of loading are not installing)', () => {
    expect(startedIn(1_000, 3_500, 11_000)).toBe('started in 10 s');
  });
});
