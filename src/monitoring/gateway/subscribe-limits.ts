// What one socket may ask: SOCKET_SUBSCRIBES_PER_SECOND and MAX_SUBSCRIPTIONS_PER_SOCKET. Every
// subscribe to a batch costs a database read, so a socket must not be able to ask for thousands.
import type { SocketsConfig } from '../../config/configuration';
import { EmissionWindow } from './emission-window';
import { errorAck, type ErrorAck } from './subscription';

type Limits = Pick<SocketsConfig, 'subscribesPerSecond' | 'maxSubscriptionsPerSocket'>;

/** One socket's subscribe budget; 0 in a limit turns it off. */
export class SubscribeLimits {
  private readonly recent?: EmissionWindow;

  constructor(private readonly limits: Limits) {
    if (limits.subscribesPerSecond > 0) {
      this.recent = new EmissionWindow(limits.subscribesPerSecond, 1_000);
    }
  }

  /**
   * The ack that refuses one more subscribe now, or undefined when it may go (then it is counted).
   * `following` is how many subscriptions the socket holds, `renewing` whether this one is among
   * them (asking again for a batch already followed adds nothing, so the cap lets it through).
   */
  refusal(now: number, following: number, renewing: boolean): ErrorAck | undefined {
    if (this.recent) {
      if (this.recent.waitMs(now) > 0) {
        return errorAck(
          'RATE_LIMITED',
          `At most ${this.limits.subscribesPerSecond} subscribes per second; try again shortly.`,
        );
      }
      this.recent.record(now);
    }
    const max = this.limits.maxSubscriptionsPerSocket;
    if (max > 0 && !renewing && following >= max) {
      return errorAck(
        'LIMIT_REACHED',
        `A socket follows at most ${max} subscriptions; unsubscribe from one first.`,
      );
    }
    return undefined;
  }
}
