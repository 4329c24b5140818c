import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseConfiguration } from '../src/config/load.js';
import { buildRuntimeView } from '../src/config/runtime.js';
import type { ProcessingRequest, ProcessingResponse } from '../src/extproc/messages.js';
import { loadExternalProcessorService } from '../src/extproc/proto.js';
import { RouterProcessor } from '../src/extproc/router-processor.js';
import { headers, processorDependencies } from '../test/support/processor-fixtures.js';

/**
 * The sidecar's own work per streamed chunk, in process: no Envoy, no sockets, no HTTP/2.
 * Each chunk is what grpc-js does with it on either side of the gateway's code (the
 * ProcessingRequest decoded from Envoy's bytes, the reply encoded), and the router
 * processor's handling between: translation, the chunk observers, the reply built.
 *
 *   node dist/bench/stream-chunk-micro.js [streams]     (default 2,000 streams of 20 chunks)
 *
 * Prints JSON: µs per content chunk (median of 5 runs) for an OpenAI pass-through stream and
 * an Anthropic stream translated to OpenAI chunks, as the mock in bench/ writes them.
 */
const CHUNKS = 20;

const view = buildRuntimeView(
  parseConfiguration(
    `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com/v1, credential: { env: KEY } }
models:
  gpt: { provider: openai, model: gpt-4o-mini }
  claude: { provider: anthropic, model: claude-haiku-4-5 }
`,
    {},
  ),
  { environment: { KEY: 'sk-provider-test' } },
);

const service = loadExternalProcessorService();
const method = Object.values(service)[0]!;
const encodeRequest = (message: ProcessingRequest) => method.requestSerialize(message) as Buffer;
const decodeRequest = (bytes: Buffer) => method.requestDeserialize(bytes) as ProcessingRequest;
const encodeReply = (reply: ProcessingResponse) => method.responseSerialize(reply) as Buffer;

const sse = (data: object | string, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const text = 'lorem ipsum <TS:0000000000000>';
const base = { id: 'chatcmpl-benchstream', object: 'chat.completion.chunk', created: 1_760_000_000, model: 'gpt-4o-mini-2024-07-18', service_tier: 'default', system_fingerprint: 'fp_bench' };
const usage = { prompt_tokens: 30, completion_tokens: 20, total_tokens: 50 };
const anthropicEvent = (type: string, data: object) => sse({ type, ...data }, type);

interface Scenario {
  name: string;
  model: string;
  head: string;
  content: string;
  tail: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'openai_pass_through',
    model: 'gpt',
    head: sse({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }], usage: null }),
    content: sse({ ...base, choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], usage: null }),
    tail: sse({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }) + sse({ ...base, choices: [], usage }) + sse('[DONE]'),
  },
  {
    name: 'anthropic_translation',
    model: 'claude',
    head:
      anthropicEvent('message_start', { message: { id: 'msg_01', type: 'message', role: 'assistant', content: [], model: 'claude-haiku-4-5-20251001', stop_reason: null, stop_sequence: null, usage: { input_tokens: 30, output_tokens: 1 } } }) +
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    content: anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    tail:
      anthropicEvent('content_block_stop', { index: 0 }) +
      anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 20 } }) +
      anthropicEvent('message_stop', {}),
  },
];

const handle = (processor: RouterProcessor, message: ProcessingRequest): ProcessingResponse => {
  const reply = processor.handle(message);
  if (reply instanceof Promise) throw new Error('expected a synchronous reply');
  return reply;
};

/** One stream: set-up untimed; the content chunks timed from Envoy's bytes to the reply's bytes; the end untimed. Returns ms. */
function oneStream(scenario: Scenario, head: Buffer, content: Buffer, tail: Buffer): number {
  const processor = new RouterProcessor(processorDependencies(view));
  handle(processor, { request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) });
  const request = { model: scenario.model, messages: [{ role: 'user', content: 'hi' }], stream: true, max_tokens: 256 };
  handle(processor, { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify(request)), end_of_stream: true } });
  handle(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
  encodeReply(handle(processor, decodeRequest(head)));
  let sink = 0;
  const started = performance.now();
  for (let chunk = 0; chunk < CHUNKS; chunk++) sink += encodeReply(handle(processor, decodeRequest(content))).length;
  const elapsed = performance.now() - started;
  encodeReply(handle(processor, decodeRequest(tail)));
  processor.close('ended');
  if (sink === 0) throw new Error('no replies');
  return elapsed;
}

/** A wrong path is not timed: a pass-through chunk goes on unchanged (no body mutation), a translated one comes back as OpenAI chunks. */
function check(scenario: Scenario, head: Buffer, content: Buffer): void {
  const processor = new RouterProcessor(processorDependencies(view));
  handle(processor, { request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) });
  handle(processor, { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify({ model: scenario.model, messages: [{ role: 'user', content: 'hi' }], stream: true })), end_of_stream: true } });
  handle(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
  handle(processor, decodeRequest(head));
  const mutated = handle(processor, decodeRequest(content)).response_body?.response?.body_mutation?.body?.toString();
  const translated = scenario.model !== 'gpt';
  if (translated ? !mutated?.includes('"object":"chat.completion.chunk"') : mutated !== undefined) throw new Error(`${scenario.name}: unexpected reply ${mutated}`);
  processor.close('ended');
}

export function measureStreamChunks(streams: number): Record<string, { us_per_chunk_p50_of_runs: number; runs_us: number[] }> {
  const out: Record<string, { us_per_chunk_p50_of_runs: number; runs_us: number[] }> = {};
  for (const scenario of SCENARIOS) {
    const head = encodeRequest({ response_body: { body: Buffer.from(scenario.head) } } as ProcessingRequest);
    const content = encodeRequest({ response_body: { body: Buffer.from(scenario.content) } } as ProcessingRequest);
    const tail = encodeRequest({ response_body: { body: Buffer.from(scenario.tail), end_of_stream: true } } as ProcessingRequest);
    check(scenario, head, content);
    for (let warm = 0; warm < 500; warm++) oneStream(scenario, head, content, tail);
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      let total = 0;
      for (let stream = 0; stream < streams; stream++) total += oneStream(scenario, head, content, tail);
      runs.push(Math.round(((total * 1000) / (streams * CHUNKS)) * 100) / 100);
    }
    out[scenario.name] = { us_per_chunk_p50_of_runs: [...runs].sort((a, b) => a - b)[2]!, runs_us: runs };
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(measureStreamChunks(Number(process.argv[2] ?? 2000))));
}
