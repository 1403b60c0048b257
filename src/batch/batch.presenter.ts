// Entities to response bodies: what the API shows of a batch and of its messages.
import type { BatchStatusDto } from './dto/batch-status.dto';
import type { MessageDto } from './dto/message.dto';
import type { BatchEntity } from './entities/batch.entity';
import type { MessageEntity } from './entities/message.entity';
import { deliveryRate, messagesPerSecond, successRate } from './batch-metrics';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * The API's view of a batch. `recentlyAccepted` (messages accepted in the last 10 s, from
 * SentRateService) and `providersDown` (provider-choice.ts) only matter while it is processing.
 */
export function toBatchStatus(
  batch: BatchEntity,
  recentlyAccepted = 0,
  now = Date.now(),
  providersDown: readonly string[] = [],
): BatchStatusDto {
  const progress = {
    total: batch.total,
    pending: batch.pendingCount,
    completed: batch.completedCount,
    failed: batch.failedCount,
    cancelled: batch.cancelledCount,
  };
  // Awaiting is what the receipts have not settled yet (CHECK batches_delivery_within_completed).
  const delivery = {
    delivered: batch.deliveredCount,
    undelivered: batch.undeliveredCount,
    awaiting:
      batch.completedCount -
      batch.deliveredCount -
      batch.undeliveredCount -
      batch.deliveryUnknownCount,
    unknown: batch.deliveryUnknownCount,
  };
  return {
    id: batch.id,
    status: batch.status,
    priority: batch.priority,
    text: batch.text,
    progress,
    delivery,
    metrics: {
      messagesPerSecond: messagesPerSecond({
        status: batch.status,
        completed: batch.completedCount,
        processingMs: batch.processingMs + (batch.resumedAt ? now - batch.resumedAt.getTime() : 0),
        recentlyAccepted,
      }),
      successRate: successRate(progress),
      deliveryRate: deliveryRate(delivery),
    },
    segments: batch.segments,
    encodings: batch.encodings,
    scheduleTime: iso(batch.scheduleTime),
    createdAt: batch.createdAt.toISOString(),
    startedAt: iso(batch.startedAt),
    completedAt: iso(batch.completedAt),
    pauseReason: batch.pauseReason,
    failureReason: batch.failureReason,
    waiting: {
      providersDown: batch.status === 'processing' ? [...providersDown] : [],
      // The reconciler's count; a batch no longer processing waits for no window.
      outsideWindow: batch.status === 'processing' ? batch.outsideWindow : 0,
      nextWindowAt: batch.status === 'processing' ? iso(batch.nextWindowAt) : null,
    },
  };
}

export function toMessage(message: MessageEntity): MessageDto {
  return {
    id: message.id,
    phoneNumber: message.phoneNumber,
    status: message.status,
    attempts: message.attempts,
    segments: message.segments,
    sentAt: iso(message.sentAt),
    provider: message.provider,
    providerMessageId: message.providerMessageId,
    lastError: message.lastError,
    deliveryStatus: message.deliveryStatus,
    deliveredAt: message.deliveryStatus === 'delivered' ? iso(message.receiptAt) : null,
    deliveryError: message.deliveryError,
    providerStatus: message.providerStatus,
    resolution: message.resolution,
  };
}
