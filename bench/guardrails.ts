import { pathToFileURL } from 'node:url';
import type { GuardrailConfiguration } from '../src/config/guardrail-schema.js';
import { createGuardrailPolicies } from '../src/guardrails/guardrail-policies.js';
import { RequestGuard } from '../src/guardrails/request-guard.js';
import { proseWords, prosePrompt } from './prompts.js';

/**
 * The time guardrails add, in process (no network): input guardrails on a 4 KB and a 64 KB
 * prompt with every detector on (PII masking, injection patterns), and output guardrails
 * (restoring placeholders, a deny list) per streamed chunk: text chunks, tool-call argument
 * chunks, and text chunks with a moderation guardrail on (its call excluded). `make bench`
 * folds these into its report (bench/in-process.ts); run alone, it prints p50 and p99:
 *   node dist/bench/guardrails.js
 */
export interface Percentiles {
  p50: number;
  p99: number;
}

/** The guardrail configuration `make bench` uses in process and through the gateway: every detector, injection patterns, an output deny list. */
export const BENCH_GUARDRAILS: Record<string, GuardrailConfiguration> = {
  pii: { type: 'pii', action: 'mask', detectors: ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'], phone_region: 'US' },
  injection: { type: 'prompt_injection', action: 'block' },
  deny: { type: 'deny_list', action: 'block', words: ['launch codes', 'forbidden', 'secret plan', 'classified'], patterns: ['secret-\\d{3}'], window: 256, hold_back: 0 },
};

const now = () => performance.now();
const observer = { decided() {}, timed() {} };

function policies() {
  return createGuardrailPolicies({ guardrails: BENCH_GUARDRAILS, models: { m: { guardrails: ['pii', 'injection', 'deny'] } }, keys: [] }).forRequest('m', undefined);
}

/** Nearest-rank percentile of samples (any unit). */
export function percentile(samples: number[], share: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * share) - 1))]!;
}

/** Microseconds to inspect a chat request whose user message is `bytes` of prose, over `runs` runs (the first tenth warms the JIT up). */
export function inputGuardrailMicros(bytes: number, runs: number): Percentiles {
  const guardrails = policies();
  const text = prosePrompt(bytes);
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const request = { messages: [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: text }] };
    const guard = new RequestGuard(guardrails, 'openai', { requestId: 'bench', keyAlias: undefined, observer, now });
    const started = now();
    guard.inspect('chat.completions', request);
    samples.push((now() - started) * 1000);
  }
  samples.splice(0, Math.floor(runs / 10));
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

const CHUNK_BASE = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'm' };

function textChunks(count: number): Buffer[] {
  const words = proseWords();
  return Array.from({ length: count }, (_, index) => Buffer.from(`data: ${JSON.stringify({ ...CHUNK_BASE, choices: [{ index: 0, delta: { content: words[index % words.length] }, finish_reason: null }] })}\n\n`));
}

/** Microseconds per chunk pushed through a request's output filter (after an input with an address, so restoring is on); the first tenth warms up. */
function perChunk(guard: RequestGuard, payloads: Buffer[]): Percentiles {
  guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'mail ops@example.com' }] });
  const filter = guard.streamFilter();
  const samples: number[] = [];
  for (const payload of payloads) {
    const started = now();
    filter.push(payload, false);
    samples.push((now() - started) * 1000);
  }
  samples.splice(0, Math.floor(payloads.length / 10));
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** Microseconds per streamed OpenAI text chunk through the output filter (placeholder restoring + deny list), over `chunks` chunks. */
export function outputGuardrailMicrosPerChunk(chunks: number): Percentiles {
  return perChunk(new RequestGuard(policies(), 'openai', { requestId: 'bench', keyAlias: undefined, observer, now }), textChunks(chunks));
}

/** Microseconds per streamed tool-call argument delta (JSON source, a placeholder split across deltas now and then), restored per call. */
export function outputGuardrailMicrosPerToolChunk(chunks: number): Percentiles {
  const argumentPieces = JSON.stringify({ to: '<EMAIL_1>', subject: 'Quarterly report', body: proseWords().join('') }).match(/.{1,6}/gs) ?? [];
  const payloads = Array.from({ length: chunks }, (_, index) =>
    Buffer.from(`data: ${JSON.stringify({ ...CHUNK_BASE, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: argumentPieces[index % argumentPieces.length] } }] }, finish_reason: null }] })}\n\n`),
  );
  return perChunk(new RequestGuard(policies(), 'openai', { requestId: 'bench', keyAlias: undefined, observer, now }), payloads);
}

/** The same text chunks with a moderation guardrail on as well (the model answers at once: only the filter's own work is timed). */
export function outputGuardrailMicrosPerModeratedChunk(chunks: number): Percentiles {
  const moderated = createGuardrailPolicies({
    guardrails: { mod: { type: 'moderation', model: 'omni', action: 'block', on: ['output'], timeout: '2s', on_error: 'open' } },
    models: { m: { guardrails: ['mod'] } },
    keys: [],
  }).forRequest('m', undefined);
  const guard = new RequestGuard([...policies(), ...moderated], 'openai', {
    requestId: 'bench',
    keyAlias: undefined,
    observer,
    now,
    moderate: async ({ texts }) => texts.map(() => ({ flagged: false, categories: {}, categoryScores: {} })),
  });
  return perChunk(guard, textChunks(chunks));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [bytes, runs] of [[4096, 3000], [65536, 300]] as const) {
    const { p50, p99 } = inputGuardrailMicros(bytes, runs);
    console.log(`input guardrails, ${bytes / 1024} KB prompt: p50 ${p50.toFixed(0)} µs, p99 ${p99.toFixed(0)} µs`);
  }
  const print = (label: string, { p50, p99 }: Percentiles) => console.log(`${label}: p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs`);
  print('output guardrails per streamed chunk (restore + deny list)', outputGuardrailMicrosPerChunk(20000));
  print('output guardrails per streamed tool-call chunk (argument restore)', outputGuardrailMicrosPerToolChunk(20000));
  print('output guardrails per streamed chunk with a moderation model (restore + deny list + moderation, call excluded)', outputGuardrailMicrosPerModeratedChunk(20000));
}
