// What to do with a body nobody will read, once its request has been answered (a wrong key, an
// unknown route, a body over its limit). Closing at once would be wrong: the client may still be
// sending, and a connection closed under incoming data is reset, which can destroy the answer
// before the client reads it. So the connection lingers: the rest is read and dropped for a short
// while, then the connection is closed if the body has not ended by then (nginx's lingering close).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Requests whose client waits for `100 Continue` before sending its body (main.ts marks them). */
export const awaitingContinue = new WeakSet<IncomingMessage>();

/** How long an unread body may go on arriving after its answer. */
export const LINGER_MS = 2_000;

export function dropUnreadBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  // A connection that ends with this answer (the client said `Connection: close`) is closed by
  // Node as soon as the answer is written, through destroySoon: make that a lingering close.
  req.socket.destroySoon = lingerThenDestroy;
  // A kept-alive connection: Node drops the rest of the body itself; bound how long.
  res.once('finish', () => {
    if (req.complete) return;
    const timer = setTimeout(() => req.socket?.destroy(), LINGER_MS);
    const done = () => clearTimeout(timer);
    req.once('end', done).once('close', done);
    req.resume();
  });
}

/** Half-closes (the answer is out), reads and drops what still comes, closes when it ends. */
function lingerThenDestroy(this: Socket): void {
  if (this.writable) this.end();
  if (this.readableEnded) {
    this.destroy();
    return;
  }
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  this.once('close', () => clearTimeout(timer));
  this.once('end', () => this.destroy());
  this.resume();
}
