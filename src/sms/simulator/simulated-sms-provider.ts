import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { smsConfig, type SmsConfig } from '../../config/configuration';
import type { SendRequest, SendResult, SmsProvider } from '../sms-provider';
import { isScripted, scriptedOutcome } from './simulator-script';
import { SimulatorLedger } from './simulator-ledger';

/**
 * The default provider: answers like a real one (DESIGN.md, the simulator table), honours the
 * idempotency key, and records what it accepted in PostgreSQL, which is how tests prove that every
 * message was accepted exactly once.
 */
@Injectable()
export class SimulatedSmsProvider implements SmsProvider {
  constructor(
    private readonly ledger: SimulatorLedger,
    @Inject(smsConfig.KEY) private readonly config: SmsConfig,
  ) {}

  async send(request: SendRequest): Promise<SendResult> {
    const { latencyMs, failureRate } = this.config.simulator;
    if (latencyMs > 0) await sleep(latencyMs);

    if (isScripted(request.to)) {
      const outcome = scriptedOutcome(
        request.to,
        await this.ledger.countCall(request.idempotencyKey),
      );
      if (outcome.kind === 'reject') {
        const { code, message, retryable, retryAfterMs } = outcome;
        return {
          accepted: false,
          code,
          message,
          retryable,
          ...(retryAfterMs ? { retryAfterMs } : {}),
        };
      }
      if (outcome.kind === 'hang') {
        // Answer only after the caller gave up; the message was nonetheless accepted.
        await sleep(this.config.timeoutMs + 100);
      }
    } else if (failureRate > 0 && Math.random() < failureRate) {
      return {
        accepted: false,
        code: 'SIM_PROVIDER_ERROR',
        message: 'Random transient failure.',
        retryable: true,
      };
    }

    const { providerMessageId } = await this.ledger.accept(
      request.idempotencyKey,
      request.to,
      request.body,
    );
    return { accepted: true, providerMessageId };
  }
}
