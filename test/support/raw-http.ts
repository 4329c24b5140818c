import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:net';

/**
 * Requests written byte for byte on raw sockets (HTTP/1.1) or with node:http2 (h2c, prior
 * knowledge), so that malformed input reaches the real Envoy exactly as sent, and the reply
 * read as it arrives.
 */
export interface HttpReply {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Part = string | Buffer | { pause: () => Promise<void> };

/**
 * Writes the parts on a new connection (a `pause` waits before the next part) and reads one
 * HTTP/1.1 reply: complete once its content-length (or its last chunk) is in, or when Envoy
 * closes. No reply at all (the connection closed first) is an error naming what arrived.
 */
export function exchange(port: number, parts: Part[]): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      const reply = parseReply(received, error !== undefined);
      if (error === undefined && reply === undefined) return;
      settled = true;
      socket.destroy();
      if (reply !== undefined) resolve(reply);
      else reject(new Error(`no HTTP reply; the connection ended after ${received.length} bytes (${error?.message ?? ''}): ${JSON.stringify(received.toString('latin1').slice(0, 200))}`));
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      settle();
    });
    socket.on('error', (error) => settle(error));
    socket.on('close', () => settle(new Error('closed')));
    // A peer that stops reading while we still write (Envoy refusing early) is not our error.
    socket.on('drain', () => undefined);
    void (async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        if (typeof part === 'object' && 'pause' in part) await part.pause();
        else socket.write(part);
      }
    })();
  });
}

/**
 * A complete reply in `bytes`, or undefined while it is still incomplete: the head, then a
 * content-length body, or a chunked body up to its last chunk. When the connection has
 * closed, whatever head arrived is the reply.
 */
export function parseReply(bytes: Buffer, closed = false): HttpReply | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const raw = bytes.subarray(end + 4);
  const status = Number(statusLine.split(' ')[1]);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const body = dechunk(raw);
    if (body === undefined && !closed) return undefined;
    return { statusLine, status, headers, body: (body ?? raw).toString('utf8') };
  }
  const length = Number(headers['content-length']);
  if (!Number.isInteger(length)) return closed ? { statusLine, status, headers, body: raw.toString('utf8') } : undefined;
  if (raw.length < length) return undefined;
  return { statusLine, status, headers, body: raw.subarray(0, length).toString('utf8') };
}

/** A chunked body's bytes, or undefined until its last (zero-size) chunk has arrived. */
function dechunk(raw: Buffer): Buffer | undefined {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size)) return undefined;
    if (size === 0) return Buffer.concat(chunks);
    const start = lineEnd + 2;
    if (raw.length < start + size + 2) return undefined;
    chunks.push(raw.subarray(start, start + size));
    at = start + size + 2;
  }
}

/** One request over h2c (HTTP/2 without TLS, prior knowledge). */
export async function exchangeHttp2(port: number, headers: Record<string, string>, body?: string): Promise<HttpReply> {
  const session = connectHttp2(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<HttpReply>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request(headers);
      let status = 0;
      let responseHeaders: Record<string, string> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (received) => {
        status = Number(received[':status']);
        responseHeaders = Object.fromEntries(Object.entries(received).map(([name, value]) => [name, String(value)]));
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ statusLine: `HTTP/2 ${status}`, status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') }));
      stream.on('error', reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

