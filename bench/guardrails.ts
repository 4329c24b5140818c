import { createGuardrailPolicies } from '../src/guardrails/guardrail-policies.js';
import { RequestGuard } from '../src/guardrails/request-guard.js';

/**
 * The time guardrails add, in process (no network): input guardrails on a 4 KB and a 64 KB
 * prompt with every detector on (PII masking, injection patterns), and output guardrails
 * (restoring placeholders, a deny list) per streamed chunk: text chunks, tool-call argument
 * chunks, and text chunks with a moderation guardrail on (its call excluded). Prints p50 and p99.
 * Run: node dist/bench/guardrails.js
 */
const guardrails = createGuardrailPolicies({
  guardrails: {
    pii: { type: 'pii', action: 'mask', detectors: ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'], phone_region: 'US' },
    injection: { type: 'prompt_injection', action: 'block' },
    deny: { type: 'deny_list', action: 'block', words: ['launch codes', 'forbidden', 'secret plan', 'classified'], patterns: ['secret-\\d{3}'], window: 256, hold_back: 0 },
  },
  models: { m: { guardrails: ['pii', 'injection', 'deny'] } },
  keys: [],
}).forRequest('m', undefined);
const observer = { decided() {}, timed() {} };
const now = () => performance.now();
const PROSE = 'The quarterly report covers revenue, churn and the roadmap for 2027, with version 2.4.1.9 shipped on 2026-03-01 to 1,250 customers. ';

/** Prose with a few values in it: one email and one phone number per 4 KB. */
function prompt(bytes: number): string {
  let text = '';
  while (text.length < bytes) {
    if (text.length % 4096 < PROSE.length) text += 'Contact ops@example.com or +1 415 253 2671. ';
    text += PROSE;
  }
  return text.slice(0, bytes);
}

function percentile(samples: number[], share: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))]!;
}

for (const [bytes, runs] of [[4096, 3000], [65536, 300]] as const) {
  const text = prompt(bytes);
  const samples: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const request = { messages: [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: text }] };
    const guard = new RequestGuard(guardrails, 'openai', { requestId: 'bench', keyAlias: undefined, observer, now });
    const started = now();
    guard.inspect('chat.completions', request);
    samples.push((now() - started) * 1000);
  }
  // The first tenth warms the JIT up.
  samples.splice(0, Math.floor(runs / 10));
  console.log(`input guardrails, ${bytes / 1024} KB prompt: p50 ${percentile(samples, 0.5).toFixed(0)} µs, p99 ${percentile(samples, 0.99).toFixed(0)} µs`);
}

const guard = new RequestGuard(guardrails, 'openai', { requestId: 'bench', keyAlias: undefined, observer, now });
guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'mail ops@example.com' }] });
const filter = guard.streamFilter();
const words = PROSE.split(/(?<= )/);
const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'm' };
const chunks = Array.from({ length: 20000 }, (_, index) => Buffer.from(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: words[index % words.length] }, finish_reason: null }] })}\n\n`));
const samples: number[] = [];
for (const chunk of chunks) {
  const started = now();
  filter.push(chunk, false);
  samples.push((now() - started) * 1000);
}
samples.splice(0, 2000);
console.log(`output guardrails per streamed chunk (restore + deny list): p50 ${percentile(samples, 0.5).toFixed(1)} µs, p99 ${percentile(samples, 0.99).toFixed(1)} µs`);

// Tool-call argument deltas (JSON source, a placeholder split across them now and then), restored per call.
const toolFilter = guard.streamFilter();
const argumentPieces = JSON.stringify({ to: '<EMAIL_1>', subject: 'Quarterly report', body: PROSE }).match(/.{1,6}/gs) ?? [];
const toolChunks = Array.from({ length: 20000 }, (_, index) =>
  Buffer.from(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: argumentPieces[index % argumentPieces.length] } }] }, finish_reason: null }] })}\n\n`),
);
const toolSamples: number[] = [];
for (const chunk of toolChunks) {
  const started = now();
  toolFilter.push(chunk, false);
  toolSamples.push((now() - started) * 1000);
}
toolSamples.splice(0, 2000);
console.log(`output guardrails per streamed tool-call chunk (argument restore): p50 ${percentile(toolSamples, 0.5).toFixed(1)} µs, p99 ${percentile(toolSamples, 0.99).toFixed(1)} µs`);

// The same text chunks with a moderation guardrail on (the model answers at once: only the filter's own work is timed).
const moderated = createGuardrailPolicies({
  guardrails: { mod: { type: 'moderation', model: 'omni', action: 'block', on: ['output'], timeout: '2s', on_error: 'open' } },
  models: { m: { guardrails: ['mod'] } },
  keys: [],
}).forRequest('m', undefined);
const moderatedGuard = new RequestGuard([...guardrails, ...moderated], 'openai', {
  requestId: 'bench',
  keyAlias: undefined,
  observer,
  now,
  moderate: async ({ texts }) => texts.map(() => ({ flagged: false, categories: {}, categoryScores: {} })),
});
moderatedGuard.inspect('chat.completions', { messages: [{ role: 'user', content: 'mail ops@example.com' }] });
const moderatedFilter = moderatedGuard.streamFilter();
const moderatedSamples: number[] = [];
for (const chunk of chunks) {
  const started = now();
  moderatedFilter.push(chunk, false);
  moderatedSamples.push((now() - started) * 1000);
}
moderatedSamples.splice(0, 2000);
console.log(`output guardrails per streamed chunk with a moderation model (restore + deny list + moderation, call excluded): p50 ${percentile(moderatedSamples, 0.5).toFixed(1)} µs, p99 ${percentile(moderatedSamples, 0.99).toFixed(1)} µs`);
