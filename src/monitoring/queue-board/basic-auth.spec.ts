// Basic auth of the operator pages: only admin with ADMIN_PASSWORD opens them.
import { basicCredentialsMatch } from './basic-auth';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('basicCredentialsMatch', () => {
  it.each<[string, string | undefined, boolean]>([
    ['the right user and password', basic('admin:s3cret:with:colons'), true],
    ['the scheme in lower case', basic('admin:s3cret:with:colons').replace('Basic', 'basic'), true],
    ['no header', undefined, false],
    ['an empty header', '', false],
    ['a wrong password', basic('admin:s3cret'), false],
    ['a longer password', basic('admin:s3cret:with:colons!'), false],
    ['another user', basic('root:s3cret:with:colons'), false],
    ['no colon', basic('admins3cret:with:colons'), false],
    ['a Bearer API key', 'Bearer salvo_abcdefghijklmnopqrstuvwxyz', false],
    ['the credentials not encoded', 'Basic admin:s3cret:with:colons', false],
  ])('%s: %s', (_case, header, expected) => {
    expect(basicCredentialsMatch(header, 'admin', 's3cret:with:colons')).toBe(expected);
  });
});
