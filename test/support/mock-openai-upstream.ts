import { createHash, randomBytes } from 'node:crypto';
import { answerModerations } from './mock-openai-moderations.js';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/**
 * Headers OpenAI's API sends that describe the calling account, not the request: organisation,
 * the account's rate limits, and Cloudflare's bot-management cookie and ray id in front of it.
 */
const ACCOUNT_HEADERS = {
  'openai-organization': 'org-secret-mock',
  'x-ratelimit-remaining-requests': '99',
  'set-cookie': '__cf_bm=mock-cookie; path=/; domain=.api.openai.com; HttpOnly; Secure',
  'cf-ray': '8f00000000000000-LHR',
};

/**
 * A stand-in for the OpenAI Chat Completions API, faithful to its documented wire format
 * (openai-openapi CreateChatCompletionResponse / CreateChatCompletionStreamResponse): it
 * records what the gateway sent so tests can check it, and answers like OpenAI does.
 * A test may script the next answers with `respondWith`.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> | undefined;
  /** Date.now() when the request arrived. */
  receivedAt: number;
}

export type Responder = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface MockOpenAIUpstream {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Answers the next requests with these handlers, in order; afterwards the default OpenAI behaviour. */
  respondWith(...responders: Responder[]): void;
  /** Forgets scripted answers not used yet. */
  resetScript(): void;
  close(): Promise<void>;
}

export const MOCK_USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 2, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
export const MOCK_REPLY_WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.'];

/**
 * `delayMs`, when given, is asked on each request: the milliseconds to wait before answering
 * (before the status line, so a stream's first token is late by that much). A test may change
 * what it returns during the run.
 */
export async function startMockOpenAIUpstream(options: { expectedKey?: string; delayMs?: () => number } = {}): Promise<MockOpenAIUpstream> {
  const requests: RecordedRequest[] = [];
  const scripted: Responder[] = [];
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: incoming.method ?? '', path: incoming.url ?? '', headers: incoming.headers, body, json, receivedAt: Date.now() };
      requests.push(recorded);
      const responder = scripted.shift() ?? defaultResponder(options.expectedKey);
      const answer = () => Promise.resolve(responder(recorded, response)).catch(() => response.destroy());
      const delay = options.delayMs?.() ?? 0;
      if (delay > 0) setTimeout(answer, delay);
      else void answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    respondWith: (...responders) => scripted.push(...responders),
    resetScript: () => void scripted.splice(0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function defaultResponder(expectedKey: string | undefined): Responder {
  return (request, response) => {
    if (expectedKey !== undefined && request.headers.authorization !== `Bearer ${expectedKey}`) {
      // What OpenAI answers to a wrong key.
      return sendJson(response, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }, { 'x-request-id': openAIRequestId() });
    }
    if (request.method === 'POST' && request.path.endsWith('/embeddings') && request.json !== undefined) return answerEmbeddings(request.json, response);
    if (request.method === 'POST' && request.path.endsWith('/moderations') && request.json !== undefined) return answerModerations(request.json, response, openAIRequestId());
    if (request.method !== 'POST' || !request.path.endsWith('/chat/completions') || request.json === undefined) {
      return sendJson(response, 404, { error: { message: `Unknown request URL: ${request.method} ${request.path}.`, type: 'invalid_request_error', param: null, code: 'unknown_url' } }, { 'x-request-id': openAIRequestId() });
    }
    const model = String(request.json.model);
    if (request.json.stream === true) return streamCompletion(response, model, (request.json.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true);
    return sendJson(response, 200, completion(model), { 'x-request-id': openAIRequestId() });
  };
}

export function completion(model: string, content = MOCK_REPLY_WORDS.join('')): Record<string, unknown> {
  return {
    id: 'chatcmpl-mock123',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: `${model}-2025-01-01`,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: MOCK_USAGE,
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

/** The documented stream shape: role delta, content deltas, finish chunk, optional usage chunk, [DONE]. */
export function streamEvents(model: string, includeUsage: boolean, words = MOCK_REPLY_WORDS): string[] {
  const base = { id: 'chatcmpl-mockstream', object: 'chat.completion.chunk', created: 1_760_000_000, model: `${model}-2025-01-01`, service_tier: 'default', system_fingerprint: 'fp_mock' };
  const usageNull = includeUsage ? { usage: null } : {};
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], ...usageNull },
    ...words.map((word) => ({ ...base, choices: [{ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }], ...usageNull })),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], ...usageNull },
  ];
  if (includeUsage) events.push({ ...base, choices: [], usage: MOCK_USAGE } as never);
  return [...events.map((event) => `data: ${JSON.stringify(event)}\n\n`), 'data: [DONE]\n\n'];
}

async function streamCompletion(response: ServerResponse, model: string, includeUsage: boolean): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...ACCOUNT_HEADERS, 'x-request-id': openAIRequestId() });
  for (const event of streamEvents(model, includeUsage)) {
    response.write(event);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  response.end();
}

export function sendJson(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...ACCOUNT_HEADERS, ...headers });
  response.end(text);
}

/** OpenAI names each of its responses in x-request-id ("req_" and 32 hex digits), the header its SDKs read. */
export function openAIRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

/** The size a mock OpenAI embedding model answers with when the request names no `dimensions`. */
export const MOCK_EMBEDDING_SIZE = 16;

/**
 * A deterministic vector for an input (text or token ids): the same input always embeds the
 * same, so a test can compare what the client decoded with what the provider sent.
 */
export function mockEmbedding(input: string | readonly number[], size = MOCK_EMBEDDING_SIZE): number[] {
  const seed = typeof input === 'string' ? [...Buffer.from(input, 'utf8')].reduce((sum, byte) => sum + byte, 0) : input.reduce((sum, id) => sum + id, 0);
  return Array.from({ length: size }, (_, index) => Math.fround(Math.sin(seed + index) / 2));
}

/** The size of the mock's bag-of-words embeddings (models named "bow-..."). */
export const BAG_OF_WORDS_SIZE = 256;

/**
 * A bag-of-words vector, for models whose name starts with "bow-": each lower-cased word
 * (letters and digits) counts once in the bucket its sha256 picks, then the vector is scaled
 * to length 1. Texts that share most words are near in cosine similarity, texts that share
 * few are far: a deterministic stand-in for a sentence-embedding model in the semantic cache's
 * tests (it knows no synonyms, so the paraphrases it matches share words).
 */
export function bagOfWordsEmbedding(text: string): number[] {
  const vector = new Array<number>(BAG_OF_WORDS_SIZE).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) vector[createHash('sha256').update(word).digest().readUInt32BE(0) % BAG_OF_WORDS_SIZE]! += 1;
  const length = Math.hypot(...vector) || 1;
  return vector.map((value) => value / length);
}

/** Prompt tokens the mock bills an input: a token per word, or the ids given. */
export function mockEmbeddingTokens(input: string | readonly number[]): number {
  return typeof input === 'string' ? input.split(/\s+/).filter((word) => word !== '').length : input.length;
}

/**
 * OpenAI's POST /v1/embeddings (openai-openapi `createEmbedding`): input a string, strings,
 * token ids or arrays of them; `encoding_format` float (default) or base64 (little-endian
 * float32); `dimensions` only on text-embedding-3 models. Refused as OpenAI refuses: a
 * missing model or input, an empty input, an unknown encoding, dimensions elsewhere.
 */
function answerEmbeddings(body: Record<string, unknown>, response: ServerResponse): void {
  const refuse = (message: string, param: string | null) =>
    sendJson(response, 400, { error: { message, type: 'invalid_request_error', param, code: null } }, { 'x-request-id': openAIRequestId() });
  const { model, input, encoding_format: encoding = 'float', dimensions } = body as { model?: unknown; input?: unknown; encoding_format?: unknown; dimensions?: unknown };
  if (typeof model !== 'string') {
    refuse("you must provide a model parameter", null);
    return;
  }
  const inputs: Array<string | number[]> | undefined =
    typeof input === 'string' ? [input]
    : Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string') ? (input as string[])
    : Array.isArray(input) && input.length > 0 && input.every((item) => Number.isInteger(item)) ? [input as number[]]
    : Array.isArray(input) && input.length > 0 && input.every((item) => Array.isArray(item) && item.length > 0 && item.every(Number.isInteger)) ? (input as number[][])
    : undefined;
  if (inputs === undefined || inputs.some((item) => item.length === 0)) {
    refuse("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null);
    return;
  }
  if (encoding !== 'float' && encoding !== 'base64') {
    refuse(`Invalid value: '${String(encoding)}'. Supported values are: 'float' and 'base64'.`, 'encoding_format');
    return;
  }
  if (dimensions !== undefined && !/^text-embedding-3/.test(model)) {
    refuse('This model does not support specifying dimensions.', null);
    return;
  }
  const size = typeof dimensions === 'number' ? dimensions : MOCK_EMBEDDING_SIZE;
  const promptTokens = inputs.reduce((sum, item) => sum + mockEmbeddingTokens(item), 0);
  sendJson(
    response,
    200,
    {
      object: 'list',
      data: inputs.map((item, index) => {
        const vector = /^bow-/.test(model) && typeof item === 'string' && dimensions === undefined ? bagOfWordsEmbedding(item) : mockEmbedding(item, size);
        return { object: 'embedding', index, embedding: encoding === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
      }),
      model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
    { 'x-request-id': openAIRequestId() },
  );
}
