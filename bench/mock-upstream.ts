import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { answerEmbeddings } from './mock-embeddings.js';

/**
 * A deliberately cheap loopback provider for the benchmark. It speaks just enough of the
 * OpenAI Chat Completions API (JSON and SSE) and the Anthropic Messages API (JSON and SSE)
 * for the gateway to pass through, translate and meter, and nothing more: every answer is
 * precomputed when the profile is set, so the mock does no JSON work per request and is
 * never the bottleneck of a run. OpenAI's `/v1/embeddings` answers with deterministic
 * vectors computed per request (mock-embeddings.ts), for the semantic cache.
 *
 * Each streamed content chunk carries a stamp `<TS:µs>`: the sender's monotonic clock
 * (CLOCK_MONOTONIC, shared by every process on the machine) when the chunk was written.
 * The load generator reads it back to measure each chunk's transit time through the
 * system under test. The stamp is plain ASCII inside the text, so it survives both
 * pass-through and translation unchanged.
 *
 * Control (direct to the mock, never through Envoy):
 *   POST /__bench/profile  {latencyMs, responseBytes, chunks, chunkBytes, interChunkMs}
 *   GET  /__bench/stats    requests served since start, per API and mode
 *   GET  /__bench/last     the first request received per API and mode since the last reset (body and headers)
 *   POST /__bench/last/reset  forgets them, so the next requests of each kind are kept
 *   POST /__bench/ids/start   starts counting the x-request-id of every chat and Messages request (forgets earlier counts)
 *   POST /__bench/ids/take    stops counting and returns them (RequestIds): the soak's ground truth of what reached the provider
 */
export interface MockProfile {
  /** Milliseconds between the request's end and the answer's first byte (time to first token of a stream). */
  latencyMs: number;
  /** Characters of assistant text in a non-streaming answer. */
  responseBytes: number;
  /** Content chunks in a streamed answer (each one SSE event carrying text). */
  chunks: number;
  /** Characters of text per streamed chunk, the stamp included (at least STAMP_LENGTH). */
  chunkBytes: number;
  /** Milliseconds between two streamed content chunks; 0 writes them back to back. */
  interChunkMs: number;
}

export const DEFAULT_PROFILE: MockProfile = { latencyMs: 0, responseBytes: 1024, chunks: 20, chunkBytes: 24, interChunkMs: 2 };

export type MockApi = 'openai' | 'anthropic';

export interface MockStats {
  requests: Record<`${MockApi}_${'json' | 'sse'}`, number>;
  /** OpenAI createEmbedding calls (the semantic cache's embeddings). */
  embeddings: number;
  notFound: number;
}

export interface LastRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Requests that reached the mock while ids were counted: times each x-request-id was seen, and requests without one. */
export interface RequestIds {
  counts: Record<string, number>;
  withoutId: number;
}

export interface MockUpstream {
  readonly port: number;
  setProfile(profile: Partial<MockProfile>): void;
  stats(): MockStats;
  close(): Promise<void>;
}

const STAMP_PREFIX = '<TS:';
const STAMP_DIGITS = 16;
/** `<TS:` + 16 digits + `>`. */
export const STAMP_LENGTH = STAMP_PREFIX.length + STAMP_DIGITS + 1;
const STAMP_PLACEHOLDER = `${STAMP_PREFIX}${'0'.repeat(STAMP_DIGITS)}>`;

/** Monotonic microseconds, comparable across processes on one machine. */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Finds the chunk stamps in `text` from `from` on; calls `found(sentAtMicros)` for each
 * complete one and returns where scanning should resume (the start of an incomplete stamp).
 */
export function scanStamps(text: string, from: number, found: (sentAtMicros: number) => void): number {
  let at = text.indexOf(STAMP_PREFIX, from);
  while (at !== -1) {
    const end = at + STAMP_LENGTH;
    if (end > text.length) return at;
    found(Number(text.slice(at + STAMP_PREFIX.length, end - 1)));
    at = text.indexOf(STAMP_PREFIX, end);
  }
  return Math.max(from, text.length - (STAMP_PREFIX.length - 1));
}

/** A precomputed SSE stream: fixed head and tail events around stamped content chunks. */
interface StreamShape {
  head: Buffer;
  /** One content event; the stamp's digits start at stampOffset. */
  content: Buffer;
  stampOffset: number;
  tail: Buffer;
  tailWithUsage: Buffer;
}

interface Precomputed {
  profile: MockProfile;
  openaiJson: Buffer;
  anthropicJson: Buffer;
  openaiStream: StreamShape;
  anthropicStream: StreamShape;
}

const OPENAI_JSON_HEADERS = { 'content-type': 'application/json', 'openai-organization': 'org-bench', 'openai-processing-ms': '1', 'x-request-id': 'req_bench' };
const OPENAI_SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'openai-organization': 'org-bench', 'x-request-id': 'req_bench' };
const ANTHROPIC_JSON_HEADERS = { 'content-type': 'application/json', 'request-id': 'req_bench', 'anthropic-organization-id': 'org-bench' };
const ANTHROPIC_SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_bench', 'anthropic-organization-id': 'org-bench' };

const OPENAI_USAGE = { prompt_tokens: 142, completion_tokens: 256, total_tokens: 398, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
const ANTHROPIC_USAGE = { input_tokens: 142, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 256 };

/** Words of plausible assistant text, `length` characters long. */
function text(length: number): string {
  const words = 'The gateway forwards each request to the provider and meters every streamed token of the answer'.split(' ');
  let out = '';
  for (let index = 0; out.length < length; index += 1) out += `${words[index % words.length]} `;
  return out.slice(0, length);
}

function sse(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

function shape(head: string, content: string, tail: string, tailWithUsage: string): StreamShape {
  const contentBuffer = Buffer.from(content, 'latin1');
  const stampOffset = contentBuffer.indexOf(STAMP_PLACEHOLDER) + STAMP_PREFIX.length;
  if (stampOffset < STAMP_PREFIX.length) throw new Error('stamp missing from the content template');
  return { head: Buffer.from(head), content: contentBuffer, stampOffset, tail: Buffer.from(tail), tailWithUsage: Buffer.from(tailWithUsage) };
}

export function precompute(profile: MockProfile): Precomputed {
  const chunkText = `${STAMP_PLACEHOLDER}${text(Math.max(0, profile.chunkBytes - STAMP_LENGTH))}`;
  const created = 1_760_000_000;

  const openaiJson = Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: text(profile.responseBytes), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: OPENAI_USAGE,
      service_tier: 'default',
      system_fingerprint: 'fp_bench',
    }),
  );
  const base = { id: 'chatcmpl-benchstream', object: 'chat.completion.chunk', created, model: 'gpt-4o-mini-2024-07-18', service_tier: 'default', system_fingerprint: 'fp_bench' };
  const openaiStream = shape(
    sse({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], usage: null }),
    sse({ ...base, choices: [{ index: 0, delta: { content: chunkText }, logprobs: null, finish_reason: null }], usage: null }),
    sse({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }) + sse('[DONE]'),
    sse({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }) + sse({ ...base, choices: [], usage: OPENAI_USAGE }) + sse('[DONE]'),
  );

  const anthropicJson = Buffer.from(
    JSON.stringify({
      id: 'msg_01Bench',
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5-20251001',
      content: [{ type: 'text', text: text(profile.responseBytes) }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: ANTHROPIC_USAGE,
    }),
  );
  const event = (type: string, data: object) => sse({ type, ...data }, type);
  const anthropicTail =
    event('content_block_stop', { index: 0 }) + event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: ANTHROPIC_USAGE }) + event('message_stop', {});
  const anthropicStream = shape(
    event('message_start', {
      message: { id: 'msg_01BenchStream', type: 'message', role: 'assistant', content: [], model: 'claude-haiku-4-5-20251001', stop_reason: null, stop_sequence: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } },
    }) + event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: chunkText } }),
    anthropicTail,
    anthropicTail,
  );
  return { profile, openaiJson, anthropicJson, openaiStream, anthropicStream };
}

function stamped(stream: StreamShape): Buffer {
  const chunk = Buffer.allocUnsafe(stream.content.length);
  stream.content.copy(chunk);
  chunk.write(String(monotonicMicros()).padStart(STAMP_DIGITS, '0'), stream.stampOffset, STAMP_DIGITS, 'latin1');
  return chunk;
}

function writeStream(response: ServerResponse, headers: OutgoingHttpHeaders, stream: StreamShape, withUsage: boolean, profile: MockProfile): void {
  response.writeHead(200, headers);
  response.write(stream.head);
  const tail = withUsage ? stream.tailWithUsage : stream.tail;
  if (profile.interChunkMs <= 0) {
    for (let index = 0; index < profile.chunks; index += 1) response.write(stamped(stream));
    response.end(tail);
    return;
  }
  let sent = 0;
  const next = () => {
    if (response.destroyed) return;
    response.write(stamped(stream));
    sent += 1;
    if (sent < profile.chunks) setTimeout(next, profile.interChunkMs);
    else response.end(tail);
  };
  setTimeout(next, profile.interChunkMs);
}

export async function startMockUpstream(options: { port?: number; profile?: Partial<MockProfile> } = {}): Promise<MockUpstream> {
  let current = precompute({ ...DEFAULT_PROFILE, ...options.profile });
  const stats: MockStats = { requests: { openai_json: 0, openai_sse: 0, anthropic_json: 0, anthropic_sse: 0 }, embeddings: 0, notFound: 0 };
  let last: Partial<Record<keyof MockStats['requests'], LastRequest>> = {};
  // Off unless a soak asks: a Map of every id would grow through the whole benchmark.
  let ids: { counts: Map<string, number>; withoutId: number } | undefined;

  const answer = (incoming: IncomingMessage, response: ServerResponse, body: string) => {
    const path = incoming.url ?? '';
    if (path.endsWith('/embeddings') && incoming.method === 'POST') {
      stats.embeddings += 1;
      const answer = answerEmbeddings(body);
      response.writeHead(answer.status, { ...OPENAI_JSON_HEADERS, 'content-length': String(Buffer.byteLength(answer.body)) });
      response.end(answer.body);
      return;
    }
    const api: MockApi | undefined = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : undefined;
    if (api === undefined || incoming.method !== 'POST') {
      stats.notFound += 1;
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"unknown path","type":"invalid_request_error","code":"unknown_url"}}');
      return;
    }
    const stream = body.includes('"stream":true');
    const key = `${api}_${stream ? 'sse' : 'json'}` as const;
    stats.requests[key] += 1;
    if (ids !== undefined) {
      const id = incoming.headers['x-request-id'];
      if (typeof id === 'string') ids.counts.set(id, (ids.counts.get(id) ?? 0) + 1);
      else ids.withoutId += 1;
    }
    // Only the first since the last reset is kept (the benchmark reads it to build its baseline requests).
    if (last[key] === undefined) last[key] = { path, headers: Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, String(value)])), body };
    const precomputed = current;
    const send = () => {
      if (response.destroyed) return;
      if (api === 'openai') {
        if (stream) writeStream(response, OPENAI_SSE_HEADERS, precomputed.openaiStream, body.includes('"include_usage":true'), precomputed.profile);
        else {
          response.writeHead(200, { ...OPENAI_JSON_HEADERS, 'content-length': String(precomputed.openaiJson.length) });
          response.end(precomputed.openaiJson);
        }
      } else if (stream) writeStream(response, ANTHROPIC_SSE_HEADERS, precomputed.anthropicStream, true, precomputed.profile);
      else {
        response.writeHead(200, { ...ANTHROPIC_JSON_HEADERS, 'content-length': String(precomputed.anthropicJson.length) });
        response.end(precomputed.anthropicJson);
      }
    };
    if (precomputed.profile.latencyMs > 0) setTimeout(send, precomputed.profile.latencyMs);
    else send();
  };

  const control = (incoming: IncomingMessage, response: ServerResponse, body: string) => {
    const reply = (status: number, payload: unknown) => {
      const json = JSON.stringify(payload);
      response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) });
      response.end(json);
    };
    if (incoming.url === '/__bench/profile' && incoming.method === 'POST') {
      try {
        current = precompute({ ...current.profile, ...(JSON.parse(body) as Partial<MockProfile>) });
        return reply(200, current.profile);
      } catch (error) {
        return reply(400, { error: (error as Error).message });
      }
    }
    if (incoming.url === '/__bench/stats') return reply(200, stats);
    if (incoming.url === '/__bench/last') return reply(200, last);
    if (incoming.url === '/__bench/ids/start' && incoming.method === 'POST') {
      ids = { counts: new Map(), withoutId: 0 };
      return reply(200, {});
    }
    if (incoming.url === '/__bench/ids/take' && incoming.method === 'POST') {
      const taken: RequestIds = { counts: Object.fromEntries(ids?.counts ?? []), withoutId: ids?.withoutId ?? 0 };
      ids = undefined;
      return reply(200, taken);
    }
    if (incoming.url === '/__bench/last/reset' && incoming.method === 'POST') {
      last = {};
      return reply(200, {});
    }
    return reply(404, { error: 'unknown control path' });
  };

  const server: Server = createServer((incoming, response) => {
    let body = '';
    incoming.setEncoding('latin1');
    incoming.on('data', (chunk: string) => (body += chunk));
    incoming.on('end', () => ((incoming.url ?? '').startsWith('/__bench/') ? control(incoming, response, body) : answer(incoming, response, body)));
  });
  // Envoy keeps its upstream connections; do not make it reconnect between scenarios.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    setProfile: (profile) => {
      current = precompute({ ...current.profile, ...profile });
    },
    stats: () => structuredClone(stats),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** As a program (the benchmark runs it as its own process): prints {"port": n} and serves until killed. */
async function main(): Promise<void> {
  const portArgument = process.argv.indexOf('--port');
  const mock = await startMockUpstream({ port: portArgument === -1 ? 0 : Number(process.argv[portArgument + 1]) });
  const ready = { port: mock.port };
  if (process.send) process.send(ready);
  else process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
