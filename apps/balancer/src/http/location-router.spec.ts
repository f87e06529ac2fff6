import type { LocationMatch } from '../config/schema';
import { LocationRouter } from './location-router';

const router = (entries: Array<[LocationMatch, string]>) => new LocationRouter(entries.map(([match, value]) => ({ match, value })));

describe('LocationRouter (nginx location selection)', () => {
  const routes = router([
    [{ kind: 'prefix', path: '/', stopRegex: false }, 'root'],
    [{ kind: 'prefix', path: '/api/', stopRegex: false }, 'api'],
    [{ kind: 'prefix', path: '/assets/', stopRegex: true }, 'assets'],
    [{ kind: 'exact', path: '/api/health' }, 'health'],
    [{ kind: 'regex', path: '\\.(png|jpg)$', caseInsensitive: true }, 'images'],
    [{ kind: 'regex', path: '^/api/v[0-9]+/', caseInsensitive: false }, 'versioned'],
  ]);

  it.each([
    ['/api/health', 'health'],
    ['/api/health/x', 'api'],
    ['/api/users', 'api'],
    ['/api/v2/users', 'versioned'],
    ['/assets/logo.png', 'assets'],
    ['/img/LOGO.PNG', 'images'],
    ['/about', 'root'],
  ])('%s -> %s', (uri, expected) => {
    expect(routes.match(uri)).toBe(expected);
  });

  it('regexes are tried in order; the first match wins', () => {
    const ordered = router([
      [{ kind: 'regex', path: '^/a', caseInsensitive: false }, 'first'],
      [{ kind: 'regex', path: '^/ab', caseInsensitive: false }, 'second'],
    ]);
    expect(ordered.match('/abc')).toBe('first');
    expect(ordered.match('/zzz')).toBeNull();
  });
});
