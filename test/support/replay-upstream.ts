import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Gate } from './faults.js';

/**
 * A provider that replays a recorded event stream (Anthropic's or Gemini's framing, as the
 * fixtures hold it) cut at a chosen point, then ends it the way a test asks: a clean close
 * without the provider's totals, a connection reset once a gate opens, or nothing more
 * (the stream stalls). It checks what the real APIs check before streaming: the path, the
 * key header, and a JSON body asking for a stream (Anthropic) or alt=sse (Gemini).
 */
export type StreamEnding = { kind: 'close' } | { kind: 'reset'; after: Gate } | { kind: 'stall' };

export interface ReplayUpstream {
  readonly port: number;
  /** Requests that passed the checks and were answered with the transcript. */
  readonly streamed: number;
  /** Problems found in requests (answered with a 400). */
  readonly problems: string[];
  /** The next request gets this transcript, ended so. */
  next(transcript: string, ending: StreamEnding): void;
  close(): Promise<void>;
}

export async function startReplayUpstream(options: { kind: 'anthropic' | 'gemini'; expectedKey: string }): Promise<ReplayUpstream> {
  const problems: string[] = [];
  let streamed = 0;
  let script: { transcript: string; ending: StreamEnding } | undefined;
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const problem = check(options, incoming, Buffer.concat(chunks));
      if (problem !== undefined || script === undefined) {
        problems.push(problem ?? 'no transcript scripted');
        response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: problem } }));
        return;
      }
      const { transcript, ending } = script;
      script = undefined;
      streamed += 1;
      void replay(response, transcript, ending);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get streamed() {
      return streamed;
    },
    problems,
    next(transcript, ending) {
      script = { transcript, ending };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function replay(response: ServerResponse, transcript: string, ending: StreamEnding): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.write(transcript);
  if (ending.kind === 'close') response.end();
  else if (ending.kind === 'reset') {
    await ending.after.opened;
    response.socket?.destroy();
  }
}

function check(options: { kind: 'anthropic' | 'gemini'; expectedKey: string }, incoming: IncomingMessage, raw: Buffer): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  const url = incoming.url ?? '';
  if (options.kind === 'anthropic') {
    if (url !== '/v1/messages') return `unexpected path ${url}`;
    if (incoming.headers['x-api-key'] !== options.expectedKey) return 'invalid x-api-key';
    if (!incoming.headers['anthropic-version']) return 'anthropic-version header is required';
    if (body.stream !== true) return 'expected a streamed request';
    return undefined;
  }
  if (!/^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse$/.test(url)) return `unexpected path ${url}`;
  if (incoming.headers['x-goog-api-key'] !== options.expectedKey) return 'API key not valid';
  if (!Array.isArray(body.contents)) return 'contents is required';
  return undefined;
}
