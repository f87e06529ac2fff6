import { parseAdminArgs, requireEmail, UsageError } from './args';

describe('npm run admin -- arguments', () => {
  it('reads the command, --email and --name, in either spelling', () => {
    expect(parseAdminArgs(['create', '--email', 'a@b.io', '--name', 'Ada L'])).toEqual({
      command: 'create',
      email: 'a@b.io',
      name: 'Ada L',
    });
    expect(parseAdminArgs(['promote', '--email=a@b.io'])).toEqual({ command: 'promote', email: 'a@b.io', name: undefined });
    expect(parseAdminArgs(['list'])).toEqual({ command: 'list', email: undefined, name: undefined });
  });

  it('refuses a misspelt option, a missing value and a stray argument instead of ignoring them', () => {
    expect(() => parseAdminArgs(['create', '--emial', 'a@b.io'])).toThrow(UsageError);
    expect(() => parseAdminArgs(['create', '--email'])).toThrow(UsageError);
    expect(() => parseAdminArgs(['create', 'a@b.io'])).toThrow(/unexpected argument "a@b.io"/);
  });

  it('requires a plausible email', () => {
    expect(() => requireEmail(parseAdminArgs(['create']))).toThrow('--email is required');
    expect(() => requireEmail(parseAdminArgs(['create', '--email', 'nobody']))).toThrow('"nobody" is not an email address');
    expect(requireEmail(parseAdminArgs(['create', '--email', 'a@b.io']))).toBe('a@b.io');
  });
});
