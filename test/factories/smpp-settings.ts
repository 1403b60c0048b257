// SMPP settings for tests: the test SMSC's credentials (test/support/fake-smsc.ts) on loopback,
// defaults as configuration.ts gives them, changed where a test says.
import type { SmppSettings } from '../../src/config/configuration';

export function smppSettings(port: number, overrides: Partial<SmppSettings> = {}): SmppSettings {
  return {
    host: '127.0.0.1',
    port,
    systemId: 'salvo',
    password: 'secret',
    systemType: '',
    source: { addr: 'Salvo', ton: 5, npi: 0 },
    binds: 1,
    window: 10,
    maxMps: 0,
    enquireLinkMs: 30_000,
    responseTimeoutMs: 8_000,
    resendUnknown: false,
    receiptIdBase: 'same',
    ...overrides,
  };
}
