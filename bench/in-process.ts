import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheKey } from '../src/cache/cache-key.js';
import type { CachedAnswer } from '../src/cache/cached-answer.js';
import { MemoryResponseCacheStore } from '../src/cache/memory-response-cache-store.js';
import { SemanticIndex } from '../src/cache/semantic-index.js';
import { createTokenCounter } from '../src/gateway/token-counter.js';
import { inputGuardrailMicros, outputGuardrailMicrosPerChunk, outputGuardrailMicrosPerModeratedChunk, outputGuardrailMicrosPerToolChunk, percentile, type Percentiles } from './guardrails.js';
import { embed } from './mock-embeddings.js';
import { prosePrompt } from './prompts.js';

/**
 * What the cache, guardrails and routing cost inside the sidecar's code, without the network:
 * the figures a through-the-gateway comparison cannot isolate (memory per 10,000 cache
 * entries, a semantic index search, a tokenizer count) or measures only with noise (the
 * guardrails' own time). Runs in its own process under --expose-gc, so memory is read after
 * full collections and nothing else lives in the heap:
 *   node --expose-gc dist/bench/in-process.js [--smoke]   (prints JSON)
 * `make bench` runs it through `measureInProcess()`.
 */
export interface InProcessFigures {
  /** Input guardrails (every PII detector masking, injection patterns), µs per request. */
  guardrailInput4k: Percentiles;
  guardrailInput64k: Percentiles;
  /** Output guardrails (placeholder restoring + deny list) per streamed chunk, µs. */
  guardrailPerChunk: Percentiles;
  /** The same for tool-call argument deltas, and for text chunks with a moderation guardrail on too (its model call excluded), µs. */
  guardrailPerToolChunk: Percentiles;
  guardrailPerModeratedChunk: Percentiles;
  /** Exact cache: canonical key (sha256 of the sorted request) + store lookup on a store of 10,000 entries, µs. */
  cacheKeyAndLookup: Percentiles;
  /** Semantic index: nearest neighbour among 10,000 vectors of one partition (1536 dimensions), µs. */
  semanticSearch: Percentiles;
  /** Heap (and RSS) MiB that 10,000 exact-cache entries hold (answers of 1 KB of text), and the store's own size estimate. */
  exactCacheMiBPer10k: { heap: number; rss: number; storeEstimate: number };
  /** What the semantic index adds for the same 10,000 answers (vectors, HNSW graph, LRU entries): heap + native (RSS). */
  semanticIndexMiBPer10k: { heap: number; rss: number };
  /** The gateway's tokenizer (tiktoken o200k in its worker thread), one count, ms. */
  tokenCount4kMs: Percentiles;
  tokenCount64kMs: Percentiles;
}

const ENTRIES = 10_000;
const DIMENSIONS = 1536;
const MiB = 2 ** 20;

function collect(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

function chatRequest(index: number): Record<string, unknown> {
  return {
    model: 'bench-cache',
    messages: [
      { role: 'system', content: 'You are a concise assistant for an engineering team.' },
      { role: 'user', content: `Request ${index}: ${prosePrompt(600)}` },
    ],
    max_tokens: 256,
    temperature: 0,
  };
}

/** A stored answer as the gateway holds one: parsed from a provider's JSON, so its strings are its own. */
function answer(index: number): CachedAnswer {
  const text = `${index} ${prosePrompt(1024)}`.slice(0, 1024);
  return JSON.parse(
    JSON.stringify({
      completion: {
        id: `chatcmpl-${index}`,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, content: [{ type: 'text', text }], finishReason: 'stop' }],
        usage: { promptTokens: 142, completionTokens: 256, totalTokens: 398, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      },
      storedAt: Date.now(),
    }),
  ) as CachedAnswer;
}

function timeMicros(runs: number, work: (run: number) => void): Percentiles {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work(run);
    samples.push((performance.now() - started) * 1000);
  }
  samples.splice(0, Math.floor(runs / 10));
  return { p50: round(percentile(samples, 0.5), 2), p99: round(percentile(samples, 0.99), 2) };
}

async function timeCounts(counter: ReturnType<typeof createTokenCounter>, text: string, runs: number): Promise<Percentiles> {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await counter.count(text);
    samples.push(performance.now() - started);
  }
  samples.splice(0, Math.floor(runs / 10));
  return { p50: round(percentile(samples, 0.5), 3), p99: round(percentile(samples, 0.99), 3) };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export async function inProcessFigures(smoke: boolean): Promise<InProcessFigures> {
  const scale = smoke ? 0.1 : 1;
  const guardrailInput4k = inputGuardrailMicros(4096, Math.round(3000 * scale));
  const guardrailInput64k = inputGuardrailMicros(65536, Math.round(300 * scale));
  const guardrailPerChunk = outputGuardrailMicrosPerChunk(Math.round(20_000 * scale));
  const guardrailPerToolChunk = outputGuardrailMicrosPerToolChunk(Math.round(20_000 * scale));
  const guardrailPerModeratedChunk = outputGuardrailMicrosPerModeratedChunk(Math.round(20_000 * scale));

  // Exact cache: 10,000 answers under their keys (made inside the measured window: the store holds them), then lookups of known keys.
  const beforeExact = collect();
  const store = new MemoryResponseCacheStore(1024 * MiB);
  const answers: CachedAnswer[] = [];
  for (let index = 0; index < ENTRIES; index++) {
    answers.push(answer(index));
    store.set(cacheKey({ scope: 'anonymous', endpoint: 'chat.completions', model: 'bench-cache', request: chatRequest(index) }), answers[index]!, 600_000);
  }
  const afterExact = collect();
  const requests = Array.from({ length: 1000 }, (_, index) => chatRequest(index));
  const cacheKeyAndLookup = timeMicros(Math.round(20_000 * scale), (run) => {
    const key = cacheKey({ scope: 'anonymous', endpoint: 'chat.completions', model: 'bench-cache', request: requests[run % requests.length] });
    if (store.get(key) === undefined) throw new Error('the bench entry is missing');
  });

  // Semantic index over the same answers (as the gateway's fill stores one answer in both).
  // Each vector is made in the loop and dropped, as a request's embedding is after the fill: the index keeps its own copy.
  const beforeSemantic = collect();
  const index = new SemanticIndex({ maxEntries: ENTRIES });
  for (let entry = 0; entry < ENTRIES; entry++) index.add('partition', embed(`Request ${entry}: ${prosePrompt(300)} ${entry * 7919}`, DIMENSIONS), answers[entry]!, 600_000);
  const afterSemantic = collect();
  const queries = Array.from({ length: 500 }, (_, query) => embed(`Request ${query}: ${prosePrompt(300)} ${query * 7919} again`, DIMENSIONS));
  const semanticSearch = timeMicros(Math.round(5000 * scale), (run) => {
    index.nearest('partition', queries[run % queries.length]!, 0.9);
  });

  const counter = createTokenCounter();
  let tokenCount4kMs: Percentiles;
  let tokenCount64kMs: Percentiles;
  try {
    tokenCount4kMs = await timeCounts(counter, prosePrompt(4096), Math.round(300 * scale) + 10);
    tokenCount64kMs = await timeCounts(counter, prosePrompt(65536), Math.round(100 * scale) + 10);
  } finally {
    await counter.close();
  }
  const mib = (bytes: number) => round(bytes / MiB, 1);
  return {
    guardrailInput4k: { p50: round(guardrailInput4k.p50, 1), p99: round(guardrailInput4k.p99, 1) },
    guardrailInput64k: { p50: round(guardrailInput64k.p50, 1), p99: round(guardrailInput64k.p99, 1) },
    guardrailPerChunk: { p50: round(guardrailPerChunk.p50, 2), p99: round(guardrailPerChunk.p99, 2) },
    guardrailPerToolChunk: { p50: round(guardrailPerToolChunk.p50, 2), p99: round(guardrailPerToolChunk.p99, 2) },
    guardrailPerModeratedChunk: { p50: round(guardrailPerModeratedChunk.p50, 2), p99: round(guardrailPerModeratedChunk.p99, 2) },
    cacheKeyAndLookup,
    semanticSearch,
    exactCacheMiBPer10k: {
      heap: mib(afterExact.heapUsed + afterExact.external - beforeExact.heapUsed - beforeExact.external),
      rss: mib(afterExact.rss - beforeExact.rss),
      storeEstimate: mib(store.size.bytes),
    },
    semanticIndexMiBPer10k: {
      heap: mib(afterSemantic.heapUsed + afterSemantic.external - beforeSemantic.heapUsed - beforeSemantic.external),
      rss: mib(afterSemantic.rss - beforeSemantic.rss),
    },
    tokenCount4kMs,
    tokenCount64kMs,
  };
}

/** Runs this file in a child process (`node --expose-gc`) and returns its figures. */
export function measureInProcess(smoke: boolean): Promise<InProcessFigures> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', file, ...(smoke ? ['--smoke'] : [])], { maxBuffer: 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`in-process measurements failed: ${error.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as InProcessFigures);
      } catch {
        reject(new Error(`in-process measurements printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  inProcessFigures(process.argv.includes('--smoke')).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
