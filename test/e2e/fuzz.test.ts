import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '../support/chunkings.js';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { exchange, type HttpReply } from '../support/raw-http.js';

/**
 * A seeded mutational fuzzer over Chat Completions requests, through the real Envoy: valid
 * requests (plain, with tools and a tool round trip, with images and a JSON schema,
 * streaming), for an OpenAI-compatible, an Anthropic and a Gemini target, mutated at the
 * JSON level (type swaps, deletions, unknown fields, deep nesting, huge strings, edge
 * numbers, lone surrogates), the byte level (truncation, stray bytes, invalid UTF-8) and the
 * header level (oversized, numerous, internal-looking headers). Whatever comes in:
 * - there is an HTTP answer, never a closed connection;
 * - never a 5xx;
 * - every refusal is an OpenAI error body, as JSON;
 * - a refused request reaches no provider.
 * Bounded by a number of cases, not by time; FUZZ_SEED and FUZZ_CASES replay or widen a run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const CASES = Number(process.env.FUZZ_CASES ?? 240);
/** Replays only these case numbers (comma-separated), e.g. FUZZ_ONLY=61 with the seed of a failed run. */
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : new Set(process.env.FUZZ_ONLY.split(',').map(Number));

const KEYS = { OPENAI_KEY: 'sk-fuzz-openai-1', ANTHROPIC_KEY: 'sk-ant-fuzz-1', GEMINI_KEY: 'gemini-fuzz-key-1' };
const MODELS = ['gpt-fuzz', 'claude-fuzz', 'gemini-fuzz'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const DEEP_PLACEHOLDER = '\u0000deep\u0000';
/** A mutation that is already JSON text carries it under this key. */
const RAW_TEXT = '\u0000raw';

const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const BASES: Json[] = [
  { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there' }], max_tokens: 64 },
  {
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":18}' },
    ],
    tools: [weather],
    tool_choice: 'auto',
    temperature: 0.2,
  },
  {
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
    response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { text: { type: 'string' } } } } },
    stop: ['END'],
  },
  { messages: [{ role: 'user', content: 'Stream, please' }], stream: true, stream_options: { include_usage: true } },
];

interface Case {
  description: string;
  body: Buffer;
  headers: [string, string][];
}

describe('fuzzing Chat Completions through Envoy', () => {
  let openai: MockOpenAIUpstream;
  let anthropic: MockAnthropicUpstream;
  let gemini: MockGeminiUpstream;
  let gateway: GatewayHarness;

  before(async () => {
    openai = await startMockOpenAIUpstream({ expectedKey: KEYS.OPENAI_KEY });
    anthropic = await startMockAnthropicUpstream({ expectedKey: KEYS.ANTHROPIC_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: KEYS.GEMINI_KEY });
    gateway = await startGateway({
      providers: {
        oa: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_KEY' } },
        an: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_KEY' } },
        ge: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_KEY' } },
      },
      models: {
        'gpt-fuzz': { provider: 'oa', model: 'gpt-4o-mini' },
        'claude-fuzz': { provider: 'an', model: 'claude-sonnet-4-5' },
        'gemini-fuzz': { provider: 'ge', model: 'gemini-2.5-flash' },
      },
      environment: KEYS,
      // Large enough for the huge-string cases, small enough that the largest ones meet the 413.
      maxRequestBytes: 4 * 1024 * 1024,
    });
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
  });

  test(`${CASES} mutated requests (seed ${SEED}): an answer, never a 5xx, refusals in OpenAI's shape and never forwarded`, { timeout: 600_000 }, async () => {
    const random = seededRandom(SEED);
    const failures: string[] = [];
    for (let index = 0; index < CASES; index += 1) {
      const fuzzCase = mutate(random);
      if (ONLY !== undefined && !ONLY.has(index)) continue;
      if (process.env.FUZZ_SHOW) process.stdout.write(`#${index} ${fuzzCase.description}\n${head(fuzzCase)}${fuzzCase.body.subarray(0, 2000).toString('latin1')}\n`);
      const forwardedBefore = openai.requests.length + anthropic.requests.length + gemini.requests.length;
      let reply: HttpReply;
      try {
        reply = await exchange(gateway.listenerPort, [head(fuzzCase), fuzzCase.body]);
      } catch (error) {
        failures.push(`#${index} ${fuzzCase.description}: ${(error as Error).message}`);
        // Without an answer the gateway may be gone: say what Envoy and the sidecar said last, and stop.
        const envoyLog = gateway.envoyLogs();
        const crash = envoyLog.indexOf('[critical]');
        failures.push(`Envoy's log: ${crash === -1 ? envoyLog.slice(-4000) : envoyLog.slice(crash, crash + 6000)}`, `The sidecar's last lines: ${gateway.sidecarLogs().slice(-3000)}`);
        break;
      }
      const forwarded = openai.requests.length + anthropic.requests.length + gemini.requests.length - forwardedBefore;
      const problem = judge(reply, forwarded);
      if (problem) failures.push(`#${index} ${fuzzCase.description}: ${problem} (HTTP ${reply.status} ${reply.body.slice(0, 300)})`);
    }
    assert.deepEqual(failures, [], `replay with FUZZ_SEED=${SEED}`);
  });
});

/** What is wrong with the answer to one case, or undefined. */
function judge(reply: HttpReply, forwarded: number): string | undefined {
  if (reply.status >= 500) return 'a 5xx';
  if (reply.status < 400) return undefined;
  if (!(reply.headers['content-type'] ?? '').startsWith('application/json')) return `a refusal with content-type ${reply.headers['content-type']}`;
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return 'a refusal that is not JSON';
  }
  const error = (body as { error?: Record<string, unknown> }).error;
  if (!error || typeof error.message !== 'string' || typeof error.type !== 'string' || !('param' in error) || !('code' in error)) return 'a refusal not in OpenAI\'s error shape';
  if (forwarded > 0) return `a refusal after ${forwarded} request(s) reached a provider`;
  return undefined;
}

function head(fuzzCase: Case): string {
  const lines = ['POST /v1/chat/completions HTTP/1.1', 'host: gateway.test', `content-length: ${fuzzCase.body.length}`, 'connection: close'];
  const names = new Set(fuzzCase.headers.map(([name]) => name.toLowerCase()));
  if (!names.has('content-type')) lines.push('content-type: application/json');
  if (!names.has('authorization')) lines.push('authorization: Bearer sk-fuzz-client');
  for (const [name, value] of fuzzCase.headers) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function mutate(random: () => number): Case {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const base = structuredClone(pick(BASES)) as Record<string, Json>;
  base.model = pick(MODELS);
  const kind = pick(['json', 'json', 'json', 'json', 'bytes', 'headers', 'valid'] as const);
  if (kind === 'valid') return { description: `valid ${base.model}`, body: Buffer.from(JSON.stringify(base)), headers: [] };
  if (kind === 'headers') {
    const [description, headers] = mutateHeaders(random, pick);
    return { description: `${base.model}: ${description}`, body: Buffer.from(JSON.stringify(base)), headers };
  }
  if (kind === 'bytes') {
    const text = Buffer.from(JSON.stringify(base));
    const operation = pick(['truncate', 'stray byte', 'invalid UTF-8', 'empty']);
    if (operation === 'empty') return { description: 'empty body', body: Buffer.alloc(0), headers: [] };
    const at = Math.floor(random() * text.length);
    if (operation === 'truncate') return { description: `${base.model}: truncated at ${at}`, body: text.subarray(0, at), headers: [] };
    if (operation === 'stray byte') return { description: `${base.model}: byte inserted at ${at}`, body: Buffer.concat([text.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), text.subarray(at)]), headers: [] };
    // Invalid UTF-8 inside a string value: a lone continuation byte and an overlong encoding.
    const quote = text.indexOf('"content":"');
    const position = quote === -1 ? at : quote + 11;
    return { description: `${base.model}: invalid UTF-8 in a string`, body: Buffer.concat([text.subarray(0, position), Buffer.from([0x80, 0xc0, 0xaf, 0xff]), text.subarray(position)]), headers: [] };
  }
  const [description, text] = mutateJson(random, pick, base);
  return { description: `${base.model}: ${description}`, body: Buffer.from(text), headers: [] };
}

/** A mutation of the tree, as the JSON text to send (deep nesting is written as text: no value that deep is ever built). */
function mutateJson(random: () => number, pick: <T>(items: readonly T[]) => T, root: Record<string, Json>): [string, string] {
  const [description, mutated] = mutateTree(random, pick, root);
  const raw = (mutated as Record<string, Json>)[RAW_TEXT];
  return [description, typeof raw === 'string' ? raw : JSON.stringify(mutated)];
}

function mutateTree(random: () => number, pick: <T>(items: readonly T[]) => T, root: Record<string, Json>): [string, Json] {
  const paths = allPaths(root).filter((path) => !(path.length === 1 && path[0] === 'model'));
  const path = pick(paths);
  const operation = pick(['swap type', 'delete', 'unknown field', 'deep nesting', 'huge string', 'edge number', 'lone surrogate', 'empty container']);
  const where = path.join('.');
  switch (operation) {
    case 'swap type':
      return [`${where}: type swapped`, setAt(root, path, pick<Json>([null, true, 0, -1, 1.5, 'text', [], {}, [1, 'a'], { a: 1 }]))];
    case 'delete':
      return [`${where}: deleted`, deleteAt(root, path)];
    case 'unknown field': {
      const parent = path.slice(0, -1);
      return [`${where}: unknown field beside it`, setAt(root, [...parent, pick(['x', 'extra_field', '__proto__', 'constructor', '\u0000', 'ünïcode'])], 'surprise')];
    }
    case 'deep nesting': {
      const depth = pick([120, 129, 500, 5000]);
      const opening = Array.from({ length: depth }, () => (random() < 0.5 ? '[' : '{"a":'));
      const nested = opening.join('') + '1' + opening.reverse().map((open) => (open === '[' ? ']' : '}')).join('');
      const text = JSON.stringify(setAt(root, path, DEEP_PLACEHOLDER)).replace(JSON.stringify(DEEP_PLACEHOLDER), nested);
      return [`${where}: ${depth} levels deep`, { [RAW_TEXT]: text }];
    }
    case 'huge string':
      return [`${where}: a huge string`, setAt(root, path, 'x'.repeat(pick([100_000, 1_000_000, 5_000_000])))];
    case 'edge number':
      return [`${where}: an edge number`, setAt(root, path, pick([1e308, -1e308, 2 ** 53 + 1, -0, 0.000001, 1e-300, 128, 129, 2 ** 31]))];
    case 'lone surrogate':
      return [`${where}: a lone surrogate`, setAt(root, path, 'before \ud800 after')];
    default:
      return [`${where}: emptied`, setAt(root, path, pick<Json>([[], {}, '']))];
  }
}

function mutateHeaders(random: () => number, pick: <T>(items: readonly T[]) => T): [string, [string, string][]] {
  switch (pick(['oversized', 'numerous', 'internal', 'content-type', 'credentials'])) {
    case 'oversized':
      return ['a header over the limit', [[pick(['x-pad', 'authorization', 'cookie']), `Bearer ${'a'.repeat(62_000 + Math.floor(random() * 40_000))}`]]];
    case 'numerous':
      return ['over a hundred headers', Array.from({ length: 101 + Math.floor(random() * 50) }, (_, index) => [`x-many-${index}`, 'v'] as [string, string])];
    case 'internal':
      return [
        'internal-looking headers',
        [
          ['x-gateway-route', pick(['model_gpt_fuzz', 'model_claude_fuzz', 'gateway_sidecar', 'envoy_admin'])],
          ['x-envoy-upstream-rq-timeout-ms', '1'],
          ['x-envoy-retry-on', '5xx'],
          ['x-envoy-max-retries', '50'],
          ['x-gateway-request-id', 'forged'],
          ['x-forwarded-for', '10.0.0.1'],
        ],
      ];
    case 'content-type':
      return ['an odd content type', [['content-type', pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''])]]];
    default:
      return ['odd credentials', [['authorization', pick(['Bearer', 'Basic Zm9vOmJhcg==', 'Bearer \u00ff\u00fe', 'bearer    spaced'])]]];
  }
}

/** Every path to a value inside the tree (keys and indexes), the root's children first. */
function allPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = [];
  if (Array.isArray(value)) for (const [index, item] of value.entries()) paths.push([...prefix, index], ...allPaths(item, [...prefix, index]));
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push([...prefix, key], ...allPaths(item, [...prefix, key]));
  return paths;
}

function setAt(root: Json, path: (string | number)[], replacement: Json): Json {
  const copy = structuredClone(root);
  let node = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  node[path.at(-1)!] = replacement;
  return copy;
}

function deleteAt(root: Json, path: (string | number)[]): Json {
  const copy = structuredClone(root);
  let node = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1);
  else delete node[last];
  return copy;
}
