// What to do with a body nobody will read, once its request has been answered (a wrong key, an
// unknown route, a body over its limit). Closing at once would be wrong: the client may still be
// sending, and a connection closed under incoming data is reset, which can destroy the answer
// before the client reads it. So the rest is read and dropped for a short while (a "lingering
// close"), and the connection is closed only if the body has not ended by then.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long an unread body may go on arriving after its answer. */
export const LINGER_MS = 2_000;

export function dropUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket?.destroy(), LINGER_MS);
    const done = () => clearTimeout(timer);
    req.once('end', done).once('close', done);
    // Nobody listens for its data any more: flowing, it is dropped as it comes.
    req.resume();
  });
}
