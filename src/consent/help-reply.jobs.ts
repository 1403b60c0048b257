// The queue of answers to HELP and its job payload, typed in one place.

export const HELP_REPLY_QUEUE = 'help-replies';

export interface HelpReplyJob {
  /** The inbound message that asked for help; its row holds the reply's state. */
  inboundId: string;
}

/**
 * Deterministic, so one inbound message's answer cannot be queued twice while its job is in Redis
 * (Bull ignores an add whose id it holds); Bull wants no ":" in ids.
 */
export function helpReplyJobId(job: HelpReplyJob): string {
  return `help-reply-${job.inboundId}`;
}
