// Calls a provider with Salvo's own timeout: no answer within PROVIDER_TIMEOUT_MS is a TIMEOUT.
import type { SendRequest, SendResult, SmsProvider } from './sms-provider';

export const TIMEOUT_CODE = 'TIMEOUT';

export async function sendWithTimeout(
  provider: SmsProvider,
  request: SendRequest,
  timeoutMs: number,
): Promise<SendResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SendResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          accepted: false,
          code: TIMEOUT_CODE,
          message: `The provider did not answer within ${timeoutMs} ms.`,
          retryable: true,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      provider.send(request).catch((error: unknown): SendResult => ({
        accepted: false,
        code: 'PROVIDER_UNREACHABLE',
        message: error instanceof Error ? error.message : String(error),
        retryable: true,
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
