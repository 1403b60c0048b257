// Checks the category and code of each SMSC refusal, and the names against the smpp package's.
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { classifyCommandStatus, statusName } from './smpp-codes';

// The smpp package's own table of command statuses: an oracle for the names.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errors } = require('smpp/lib/defs') as { errors: Record<string, number> };

describe('classifyCommandStatus', () => {
  it.each<[number, ErrorCategory, string]>([
    [0x58, 'rate_limited', 'ESME_RTHROTTLED'],
    [0x14, 'rate_limited', 'ESME_RMSGQFUL'],
    [0x0b, 'invalid_number', 'ESME_RINVDSTADR'],
    [0x0d, 'auth', 'ESME_RBINDFAIL'],
    [0x0e, 'auth', 'ESME_RINVPASWD'],
    [0x0f, 'auth', 'ESME_RINVSYSID'],
    [0x08, 'provider_error', 'ESME_RSYSERR'],
    [0x0a, 'unknown', 'ESME_RINVSRCADR'],
    [0x45, 'unknown', 'ESME_RSUBMITFAIL'],
    [0xff, 'unknown', 'ESME_RUNKNOWNERR'],
    [0x104, 'unknown', 'ESME_RINVDCS'],
    [0x400, 'unknown', '0x00000400'],
    [0x0409, 'unknown', '0x00000409'],
    [0xfffffff0, 'unknown', '0xFFFFFFF0'],
  ])('refuses status %i as %s %s', (status, category, code) => {
    expect(classifyCommandStatus(status)).toMatchObject({ category, code });
  });

  it('says in one sentence which status refused the submit_sm and what it means', () => {
    expect(classifyCommandStatus(0x0b).message).toBe(
      'The SMSC refused the submit_sm: ESME_RINVDSTADR (invalid destination address).',
    );
  });

  it('names the refused command when it is not a submit_sm', () => {
    expect(classifyCommandStatus(0x0e, 'bind_transceiver').message).toBe(
      'The SMSC refused the bind_transceiver: ESME_RINVPASWD (invalid password).',
    );
  });

  it('keeps a vendor status by its hex', () => {
    expect(classifyCommandStatus(0x401).message).toBe(
      'The SMSC refused the submit_sm: status 0x00000401.',
    );
  });
});

describe('statusName', () => {
  it.each(Object.entries(errors))('names %s as the smpp package does', (name, status) => {
    expect(statusName(status)).toBe(name);
  });

  it.each([
    [0x09, '0x00000009'],
    [0x400, '0x00000400'],
    [0xdeadbeef, '0xDEADBEEF'],
  ])('writes status %i, which has no name, as 32-bit hex', (status, name) => {
    expect(statusName(status)).toBe(name);
  });
});
