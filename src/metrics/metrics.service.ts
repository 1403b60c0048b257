import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CATEGORIES, type ErrorCategory } from '../errors/error-taxonomy';
import { PRIORITIES, type Priority } from '../rate-limit/tier-rates';

/** What one provider call of dispatch came to. */
export interface SendObservation {
  priority: Priority;
  /** The message's state after the answer: accepted, failed for good, or waiting for a retry. */
  status: 'sent' | 'failed' | 'pending';
  /** The category of a rejection or timeout; null when accepted. */
  category: ErrorCategory | null;
  /** From the first ask to the limiter until the permit's time. */
  waitMs: number;
  latencyMs: number;
}

/**
 * Why a request, handshake or batch was refused by a defence of issue 12 (docs/SECURITY.md):
 * throttles, destinations, quotas.
 */
export const REFUSAL_REASONS = [
  'auth_throttled',
  'requests_throttled',
  'batches_throttled',
  'destination_country',
  'destination_type',
  'quota_messages',
  'quota_segments',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * Where a receipt took its message: accepted or sent at the provider, or a final outcome
 * (`unknown`: the provider itself does not know, SMPP's UNKNOWN).
 */
export const RECEIPT_STATES = ['accepted', 'sent', 'delivered', 'undelivered', 'unknown'] as const;
export type ReceiptState = (typeof RECEIPT_STATES)[number];

/** A delivery receipt that moved its message (sms/receipts.ts, applied by batch/delivery/). */
export interface ReceiptObservation {
  state: ReceiptState;
  /** Why it was undelivered; null otherwise. */
  category: ErrorCategory | null;
  /** From the acceptance to a final receipt; null below final. */
  latencyMs: number | null;
}

/** A circuit breaker's change of state (sms/routing/circuit-breakers.ts, BreakerTransition). */
export interface BreakerTransitionObservation {
  provider: string;
  from: string;
  to: string;
  reason: string;
}

export const ATTEMPT_OUTCOMES = ['accepted', 'failed', 'rate_limited'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * Salvo's Prometheus metrics, in a registry of its own (not prom-client's global one, so several
 * applications in one process, as in tests, do not collide): what any module counts into.
 * Counting is cheap enough for the dispatch hot path. The gauges read from Redis or PostgreSQL
 * when scraped join this registry from monitoring (monitoring/metrics/scrape-gauges.ts).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly sent = new Counter({
    name: 'salvo_messages_sent_total',
    help: 'Messages the provider accepted.',
    labelNames: ['priority'] as const,
    registers: [this.registry],
  });

  private readonly failed = new Counter({
    name: 'salvo_messages_failed_total',
    help: 'Messages that reached a final failure at a provider answer, by the category of that answer.',
    labelNames: ['priority', 'category'] as const,
    registers: [this.registry],
  });

  private readonly attempts = new Counter({
    name: 'salvo_message_attempts_total',
    help: 'Provider calls answered or timed out, by outcome (rate_limited answers are retried without counting as attempts of the message).',
    labelNames: ['priority', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly limiterWait = new Histogram({
    name: 'salvo_limiter_wait_seconds',
    help: "Time from a dispatch loop's first ask to the rate limiter until its permit's time.",
    labelNames: ['priority'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly providerLatency = new Histogram({
    name: 'salvo_provider_latency_seconds',
    help: 'Time the SMS provider took to answer a send (a timeout counts its full wait).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly receipts = new Counter({
    name: 'salvo_receipts_total',
    help: 'Delivery receipts that moved a message, by the state they took it to and the category of an undelivered one ("none" otherwise); duplicates and receipts below the message\'s state are not counted.',
    labelNames: ['status', 'category'] as const,
    registers: [this.registry],
  });

  private readonly deliveryLatency = new Histogram({
    name: 'salvo_delivery_latency_seconds',
    help: 'From the acceptance of a message to its final delivery receipt (delivered or undelivered).',
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 72 * 3600],
    registers: [this.registry],
  });

  private readonly events = new Counter({
    name: 'salvo_events_emitted_total',
    help: 'Progress events emitted to Socket.IO clients, by event name.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  private readonly refusals = new Counter({
    name: 'salvo_refusals_total',
    help: 'Requests, handshakes and batches refused by a throttle, a destination rule or a daily quota, by reason (destination reasons count refused recipients).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly breakerTransitions = new Counter({
    name: 'salvo_provider_breaker_transitions_total',
    help: "Changes of a provider's circuit breaker, by provider, the states it moved between and why (failures, auth, probe-succeeded, probe-failed).",
    labelNames: ['provider', 'from', 'to', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly sockets = new Gauge({
    name: 'salvo_sockets_connected',
    help: 'Socket.IO clients connected to this process.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every series exists from the start, so rates and alerts work before the first message.
    for (const priority of PRIORITIES) {
      this.sent.labels(priority).inc(0);
      for (const outcome of ATTEMPT_OUTCOMES) this.attempts.labels(priority, outcome).inc(0);
      for (const category of ERROR_CATEGORIES) this.failed.labels(priority, category).inc(0);
    }
    for (const reason of REFUSAL_REASONS) this.refusals.labels(reason).inc(0);
    for (const state of RECEIPT_STATES) this.receipts.labels(state, 'none').inc(0);
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One provider call of dispatch: the attempt, its waits, and the message's final state if it has one. */
  sendObserved({ priority, status, category, waitMs, latencyMs }: SendObservation): void {
    this.attempts.labels(priority, attemptOutcome(status, category)).inc();
    this.limiterWait.labels(priority).observe(waitMs / 1000);
    this.providerLatency.observe(latencyMs / 1000);
    if (status === 'sent') this.sent.labels(priority).inc();
    else if (status === 'failed') this.failed.labels(priority, category ?? 'unknown').inc();
  }

  /** A message failed for good without a provider call (its number is suppressed). */
  failedWithoutCall(priority: Priority, category: ErrorCategory): void {
    this.failed.labels(priority, category).inc();
  }

  /** A receipt applied to its message. */
  receiptApplied({ state, category, latencyMs }: ReceiptObservation): void {
    this.receipts.labels(state, category ?? 'none').inc();
    if (latencyMs !== null) this.deliveryLatency.observe(latencyMs / 1000);
  }

  /** Something refused for `reason`; `count` recipients for a destination refusal. */
  refused(reason: RefusalReason, count = 1): void {
    this.refusals.labels(reason).inc(count);
  }

  /** A provider's circuit breaker changed state (src/sms/routing/provider-breakers.ts). */
  breakerTransitioned({ provider, from, to, reason }: BreakerTransitionObservation): void {
    this.breakerTransitions.labels(provider, from, to, reason).inc();
  }

  eventEmitted(event: string, count = 1): void {
    this.events.labels(event).inc(count);
  }

  socketConnected(): void {
    this.sockets.inc();
  }

  socketDisconnected(): void {
    this.sockets.dec();
  }
}

/** How an attempt is counted: accepted, throttled by the provider, or failed (retried or not). */
export function attemptOutcome(
  status: SendObservation['status'],
  category: ErrorCategory | null,
): AttemptOutcome {
  if (status === 'sent') return 'accepted';
  return category === 'rate_limited' ? 'rate_limited' : 'failed';
}
