// HTTP requests sent exactly as built (path, headers and body bytes untouched), for the fuzz suite.
import http from 'node:http';

export interface RawRequest {
  method: string;
  /** Path and query, already encoded: sent as is. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawAnswer {
  status: number;
  /** The first 2 kB of the answer. */
  head: string;
  ms: number;
}

// A connection per request: a request the server resets must not take the next one down with it.
const agent = new http.Agent({ keepAlive: false });

export function send(baseUrl: string, req: RawRequest, timeoutMs = 30_000): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: {
          ...req.headers,
          ...(req.body ? { 'Content-Length': String(req.body.length) } : {}),
        },
        agent,
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < 2048) chunks.push(chunk);
          kept += chunk.length;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            head: Buffer.concat(chunks).toString('utf8').slice(0, 2048),
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

export function closeIdleSockets(): void {
  agent.destroy();
}
