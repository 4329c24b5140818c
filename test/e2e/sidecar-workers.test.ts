import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
import { failWith } from '../support/faults.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Two sidecar worker processes behind one Envoy (sidecar.workers: 2: the sidecar cluster has
 * two endpoints, balanced round robin per ext_proc stream). The router-level and attempt-level
 * streams of one request land on different processes, which share no memory, and every
 * fallback, retry and translation still succeeds: the attempt processor needs nothing but
 * what travels with the request through Envoy.
 */
const ANTHROPIC_KEY = 'sk-ant-workers-provider-key';
const GEMINI_KEY = 'AIza-workers-provider-key';
const OPENAI_KEY = 'sk-openai-workers-key';

/** The processes (Linux /proc) started with this gateway's configuration: the sidecar's primary and workers, or (workers false) the primary only. */
function sidecarProcesses(configPath: string, workers = true): number[] {
  const wanted = `GATEWAY_CONFIG=${configPath}`;
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const environment = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
        return environment.includes(wanted) && (workers || !environment.some((entry) => entry.startsWith('GATEWAY_WORKER_INDEX=')));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('two sidecar workers behind one Envoy', () => {
  let anthropic: MockAnthropicUpstream;
  let gemini: MockGeminiUpstream;
  let openai: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    openai = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    gateway = await startGateway({
      sidecarWorkers: 2,
      providers: {
        openai: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
      },
      models: {
        'to-claude': { fallback: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'anthropic', model: 'claude-haiku-4-5' }] },
        'to-gemini': { fallback: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'gemini', model: 'gemini-2.5-flash' }] },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, GEMINI_API_KEY: GEMINI_KEY, OPENAI_API_KEY: OPENAI_KEY },
      resilience: { backoff_base: '10ms', backoff_max: '20ms' },
    });
    client = new OpenAI({ apiKey: 'sk-client-workers', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all([anthropic?.close(), gemini?.close(), openai?.close()]);
    assert.deepEqual([...(anthropic?.problems ?? []), ...(gemini?.problems ?? [])], [], 'every request met the provider rules');
  });

  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 50 });

  /** For each request id: the worker whose router stream logged the request, and the workers that wrote its attempts. */
  function placements(): Map<string, { router: unknown; attempts: unknown[] }> {
    const lines = gateway.sidecarLogLines();
    const byRequest = new Map<string, { router: unknown; attempts: unknown[] }>();
    for (const line of lines) {
      if (line.event !== 'request') continue;
      byRequest.set(String(line.request_id), { router: line.worker, attempts: [] });
    }
    for (const line of lines) {
      if (line.msg !== 'attempt written') continue;
      byRequest.get(String(line.request_id))?.attempts.push(line.worker);
    }
    return byRequest;
  }

  test('fallbacks to Anthropic and Gemini, retries and streams all succeed, with router and attempt on different processes', async () => {
    const answers: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      // A fallback with translation: OpenAI fails, the next level answers in its own API.
      openai.respondWith(failWith(503), failWith(503));
      answers.push((await ask('to-claude')).choices[0]?.message.content ?? '');
      openai.respondWith(failWith(503), failWith(503));
      answers.push((await ask('to-gemini')).choices[0]?.message.content ?? '');
      // One failure more: a retry (on the same level or the next, as Envoy's retry policy decides) answers.
      openai.respondWith(failWith(503));
      answers.push((await ask('to-claude')).choices[0]?.message.content ?? '');
      // A stream after a fallback, translated chunk by chunk.
      openai.respondWith(failWith(503), failWith(503));
      const stream = await client.chat.completions.create({ model: 'to-gemini', messages: [{ role: 'user', content: 'Hello' }], stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      answers.push(text);
    }
    for (let index = 0; index < answers.length; index += 4) {
      assert.match(answers[index]!, /^Echo: Hello/, 'Anthropic answered after the fallback');
      assert.match(answers[index + 1]!, /Hello/, 'Gemini answered after the fallback');
      assert.ok([MOCK_REPLY_WORDS.join(''), 'Echo: Hello'].includes(answers[index + 2]!), 'the retry answered');
      assert.match(answers[index + 3]!, /Hello/, 'the Gemini stream after the fallback');
    }

    // Each worker batches its log output, so an attempt's line (written by another worker) may land after the request's.
    const whole = () => {
      const entries = [...placements().values()];
      return entries.length >= answers.length && entries.every((entry) => entry.attempts.length >= 1);
    };
    await waitFor('every request and its attempts logged', whole);
    const placed = [...placements().values()];
    assert.equal(placed.length, answers.length);
    const routers = new Set(placed.map((entry) => entry.router));
    assert.deepEqual([...routers].sort(), [0, 1], 'both workers served router streams');
    for (const entry of placed) assert.ok(entry.attempts.length >= 1, 'every multi-target request had its attempts written');
    const split = placed.filter((entry) => entry.attempts.some((worker) => worker !== entry.router));
    assert.ok(split.length >= placed.length / 4, `router and attempt on different workers in ${split.length} of ${placed.length} requests`);
  });

  test('/metrics counts every worker\'s requests', async () => {
    const metrics = await gateway.sidecarMetrics();
    const served = [...metrics.matchAll(/^llm_gateway_requests_total\{[^}]*gen_ai_request_model="to-(?:claude|gemini)"[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    assert.ok(served >= 16, `${served} requests counted across workers`);
  });

  test('the primary killed: its workers stop too, and a new start serves on the same ports', async () => {
    // The primary alone (killSidecar would end the whole process group).
    const [primary] = sidecarProcesses(gateway.configPath, false);
    assert.ok(primary !== undefined, 'the primary process');
    process.kill(primary, 'SIGKILL');
    await waitFor('the orphaned workers to stop', () => sidecarProcesses(gateway.configPath).length === 0);
    // startSidecar waits for both workers: it could not while the old ones held the gRPC ports.
    await gateway.startSidecar();
    await waitFor('Envoy to reach the new workers', async () => {
      try {
        return (await ask('to-claude')).choices[0]?.message.content !== undefined;
      } catch {
        return false;
      }
    });
  });
});
