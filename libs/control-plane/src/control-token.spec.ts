import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkTokenFormat,
  controlTokenFile,
  createControlToken,
  readControlTokenFile,
  resolveControlToken,
  tokenMatches,
  writeControlTokenFile,
} from './control-token';

const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'tenk-control-token-'));

describe('control tokens', () => {
  it('are 48 random hex characters, different every time', () => {
    const token = createControlToken();
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect(createControlToken()).not.toBe(token);
  });

  it('match only themselves, whatever the length presented', () => {
    const token = createControlToken();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token}0`)).toBe(false);
    expect(tokenMatches(token, token.slice(0, -1))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
  });

  it('name a token too short or unfit for a header', () => {
    expect(() => checkTokenFormat('short', 'TENK_CONTROL_TOKEN')).toThrow(
      'TENK_CONTROL_TOKEN: the control token is 5 characters long; use at least 24',
    );
    expect(() => checkTokenFormat(`${'a'.repeat(30)} b`, 'TENK_CONTROL_TOKEN')).toThrow('may hold only letters, digits');
  });

  it('are written for their owner only (0600) and read back', () => {
    const file = controlTokenFile(scratch(), 'e2e');
    expect(path.basename(file)).toBe('control-token-e2e');
    const token = createControlToken();
    writeControlTokenFile(file, token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readControlTokenFile(file)).toBe(token);
    // A new run replaces it.
    const next = createControlToken();
    writeControlTokenFile(file, next);
    expect(readControlTokenFile(file)).toBe(next);
  });

  it('refuse a token file other users can read', () => {
    const file = controlTokenFile(scratch());
    writeFileSync(file, `${createControlToken()}\n`);
    chmodSync(file, 0o644);
    expect(() => readControlTokenFile(file)).toThrow(`${file} can be read by other users (mode 644): \`chmod 600 ${file}\``);
  });
});

describe('resolveControlToken (a control server started on its own)', () => {
  it('takes TENK_CONTROL_TOKEN first', () => {
    const token = createControlToken();
    expect(resolveControlToken({ env: { TENK_CONTROL_TOKEN: token }, stateDir: scratch() })).toEqual({
      token,
      source: 'TENK_CONTROL_TOKEN',
      created: false,
    });
    expect(() => resolveControlToken({ env: { TENK_CONTROL_TOKEN: 'secret' }, stateDir: scratch() })).toThrow(
      'TENK_CONTROL_TOKEN: the control token is 6 characters long',
    );
  });

  it("then npm start's token file, else makes one there (0600) that the next server shares", () => {
    const stateDir = scratch();
    const made = resolveControlToken({ env: {}, stateDir });
    expect(made).toEqual({ token: expect.stringMatching(/^[0-9a-f]{48}$/), source: path.join(stateDir, 'control-token'), created: true });
    expect(statSync(made.source).mode & 0o777).toBe(0o600);
    expect(readFileSync(made.source, 'utf8')).toBe(`${made.token}\n`);
    expect(resolveControlToken({ env: {}, stateDir })).toEqual({ ...made, created: false });
  });
});
