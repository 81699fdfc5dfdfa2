import { describe, expect, it } from 'vitest';
import { redact, secretVariants } from '../../src/runner/redact.js';

describe('redact', () => {
  const token = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

  it('masks the token, its base64 form and the base64 Basic credential git sends', () => {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const plain = Buffer.from(token).toString('base64');
    const text = `token=${token}\nAuthorization: Basic ${basic}\nraw=${plain}\n`;
    const result = redact(text, [token]);
    expect(result).not.toContain(token);
    expect(result).not.toContain(basic);
    expect(result).not.toContain(plain);
    expect(result).toBe('token=***\nAuthorization: Basic ***\nraw=***\n');
  });

  it('masks a secret that contains another one as a whole', () => {
    expect(redact('value: abcdef-123456', ['abcdef', 'abcdef-123456'])).toBe('value: ***');
  });

  it('ignores empty, missing and very short secrets instead of masking every letter', () => {
    expect(redact('a b c', ['', undefined, null, 'a'])).toBe('a b c');
  });

  it('masks URL-encoded forms', () => {
    expect(secretVariants('p@ss/word')).toContain('p%40ss%2Fword');
    expect(redact('https://u:p%40ss%2Fword@host', ['p@ss/word'])).toBe('https://u:***@host');
  });
});
