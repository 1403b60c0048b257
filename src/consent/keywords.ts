// Consent keywords: which list a whole inbound message matches (STOP, START, HELP and their kin).
import { normalizeKeyword } from '../config/keywords';
import type { InboundAction } from '../inbound/inbound-message.entity';

export interface KeywordLists {
  optOut: readonly string[];
  optIn: readonly string[];
  help: readonly string[];
}

/** What an inbound message asks for: the list its whole text matches, else `none`. */
export function keywordAction(body: string, lists: KeywordLists): InboundAction {
  const text = normalizeKeyword(body);
  if (!text || text.length > 64) return 'none';
  if (lists.optOut.includes(text)) return 'opt_out';
  if (lists.optIn.includes(text)) return 'opt_in';
  if (lists.help.includes(text)) return 'help';
  return 'none';
}
