import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelCapabilities } from '../../src/capabilities/capability-table.js';
import { chooseRoute } from '../../src/capabilities/choose-route.js';
import { chooseTargets, type TargetChoiceInput } from '../../src/capabilities/choose-targets.js';
import { routeForLevels, routeVariants } from '../../src/capabilities/route-for-levels.js';
import { contextLengthExceeded, mayExceedWindow, outputBound } from '../../src/capabilities/context-window.js';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView, type ModelRoute, type TargetRuntime } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';
import { choiceInput } from '../../src/capabilities/choice-input.js';
import { countAfterAuthentication } from '../../src/capabilities/count-after-authentication.js';
import { chatCompletionsEndpoint } from '../../src/endpoints/chat-completions-endpoint.js';
import { countTokensEndpoint } from '../../src/endpoints/count-tokens-endpoint.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

const SMALL: ModelCapabilities = { context_window: 1000, max_output_tokens: 300, tools: false, vision: true, json_schema: true, reasoning: false };
const LARGE: ModelCapabilities = { context_window: 100000, max_output_tokens: 4000, tools: true, vision: true, json_schema: true, reasoning: true };

describe('context window arithmetic', () => {
  test('the output bound is what the request asks for, else the model maximum', () => {
    assert.equal(outputBound(50, SMALL), 50);
    assert.equal(outputBound(undefined, SMALL), 300);
  });

  test('the cheap check passes what surely fits, at the boundary included', () => {
    assert.equal(mayExceedWindow(700, 300, SMALL), false);
    assert.equal(mayExceedWindow(701, 300, SMALL), true);
  });

  test("OpenAI's refusal, with the window, the total, the prompt and the completion", () => {
    assert.equal(contextLengthExceeded(700, 300, SMALL, 'openai'), undefined, 'exactly full fits');
    const error = contextLengthExceeded(701, 300, SMALL, 'openai');
    assert.ok(error);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.param, 'messages');
    assert.equal(
      error.message,
      "This model's maximum context length is 1000 tokens. However, you requested 1001 tokens (701 in the messages, 300 in the completion). Please reduce the length of the messages or completion.",
    );
  });

  test("Anthropic's wording for a Messages client", () => {
    assert.equal(contextLengthExceeded(900, 200, SMALL, 'anthropic')?.message, 'input length and `max_tokens` exceed context limit: 900 + 200 > 1000, decrease input length or `max_tokens` and try again');
  });
});

const configuration = parseConfiguration(
  `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  chain: { fallback: [{ provider: openai, model: small }, { provider: openai, model: large }] }
  short: { provider: openai, model: small, context_policy: { upgrade: long } }
  long: { provider: openai, model: large }
`,
  {},
);
const view = buildRuntimeView(configuration, { environment: { KEY: 'k' } });
const capabilities = { of: (target: TargetRuntime) => (target.model === 'small' ? SMALL : LARGE) };

function input(route: ModelRoute, overrides: Partial<TargetChoiceInput> & { counted?: number[] } = {}): TargetChoiceInput {
  const counted = overrides.counted ?? [];
  return {
    route,
    needs: { uses: {}, maxOutputTokens: 100 },
    promptUpperBound: 200,
    promptText: () => 'prompt',
    prepare: (target) => ({ path: `/${target.model}`, headers: {}, body: Buffer.from(target.model) }),
    capabilities,
    counter: {
      count: async (text) => {
        counted.push(text.length);
        return 950;
      },
    },
    format: 'openai',
    ...overrides,
  };
}

describe('chooseTargets', () => {
  const chain = view.models.get('chain')!;

  test('a request that surely fits every window is chosen without the tokenizer, every target prepared', () => {
    const counted: number[] = [];
    const choice = chooseTargets(input(chain, { counted }));
    assert.ok(!(choice instanceof Promise), 'no tokenizer round trip');
    assert.deepEqual(choice.usable.map((target) => target.model), ['small', 'large']);
    assert.deepEqual([...choice.prepared.keys()], ['chain#0', 'chain#1']);
    assert.equal(counted.length, 0);
  });

  test('a prompt that may not fit is counted once; the level it does not fit is skipped', async () => {
    const counted: number[] = [];
    const choice = await chooseTargets(input(chain, { counted, promptUpperBound: 5000 }));
    assert.equal(counted.length, 1);
    assert.deepEqual(choice.usable.map((target) => target.model), ['large']);
    assert.equal(choice.skipped.get('chain#0')?.reason.code, 'context_length_exceeded');
    assert.match(choice.skipped.get('chain#0')!.reason.message, /maximum context length is 1000 tokens\. However, you requested 1050 tokens \(950 in the messages, 100 in the completion\)/);
    assert.deepEqual([...choice.prepared.keys()], ['chain#1']);
  });

  test('a missing capability and a parameter a provider refuses skip their levels; the first reason is the refusal', () => {
    const tools = chooseTargets(input(chain, { needs: { uses: { tools: 'tools' }, maxOutputTokens: 10 } }));
    assert.ok(!(tools instanceof Promise));
    assert.deepEqual(tools.usable.map((target) => target.model), ['large']);
    const refused = new GatewayError({ status: 400, code: 'unsupported_parameter', message: 'no', param: 'logprobs' });
    const none = chooseTargets(
      input(chain, {
        needs: { uses: { tools: 'tools' }, maxOutputTokens: 10 },
        prepare: () => {
          throw refused;
        },
      }),
    );
    assert.ok(!(none instanceof Promise));
    assert.deepEqual(none.usable, []);
    assert.equal(none.refusal?.code, 'unsupported_capability', "the first level's reason");
    assert.equal(none.skipped.get('chain#1')?.reason, refused);
    assert.equal(none.tooLongForAll, false);
  });

  test('a bug in preparing is not mistaken for a refusal', () => {
    assert.throws(
      () =>
        chooseTargets(
          input(chain, {
            prepare: () => {
              throw new TypeError('bug');
            },
          }),
        ),
      TypeError,
    );
  });
});

describe('chooseRoute', () => {
  test('narrows a chain to the first level that can serve the request', () => {
    const chosen = chooseRoute(view, view.models.get('chain')!, (route) => input(route, { needs: { uses: { tools: 'tools' }, maxOutputTokens: 10 } }));
    assert.ok(!(chosen instanceof Promise));
    assert.equal(chosen.route.cluster, 'model_chain__levels_1');
    assert.deepEqual(chosen.route.targets.map((target) => [target.id, target.priority]), [['chain#1', 0]]);
  });

  test('refuse (the default) keeps the refusal; upgrade chooses the larger model', async () => {
    const refused = await chooseRoute(view, view.models.get('chain')!, (route) => input(route, { promptUpperBound: 500_000, counter: { count: async () => 200_000 } }));
    assert.equal(refused.choice.refusal?.code, 'context_length_exceeded');
    const upgraded = await chooseRoute(view, view.models.get('short')!, (route) => input(route, { promptUpperBound: 5000 }));
    assert.equal(upgraded.choice.refusal, undefined);
    assert.equal(upgraded.route.alias, 'long');
    assert.equal(upgraded.upgradedFrom, 'short');
  });

  test('an upgrade too small as well leaves the refusal for the model asked for', async () => {
    const chosen = await chooseRoute(view, view.models.get('short')!, (route) => input(route, { promptUpperBound: 500_000, counter: { count: async () => 200_000 } }));
    assert.equal(chosen.route.alias, 'short');
    assert.equal(chosen.upgradedFrom, undefined);
    assert.match(chosen.choice.refusal!.message, /maximum context length is 1000 tokens/);
  });
});

describe('routeForLevels', () => {
  const long = buildRuntimeView(
    parseConfiguration(
      `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  three: { fallback: [{ provider: openai, model: a }, { provider: openai, model: b }, { provider: openai, model: c }] }
  five: { fallback: [{ provider: openai, model: a }, { provider: openai, model: b }, { provider: openai, model: c }, { provider: openai, model: d }, { provider: openai, model: e }] }
`,
      {},
    ),
    { environment: { KEY: 'k' } },
  );
  const three = long.models.get('three')!;
  const five = long.models.get('five')!;

  test('a short chain keeps exactly the usable levels, renumbered, and every such part has a cluster', () => {
    const middle = routeForLevels(three, [0, 2]);
    assert.equal(middle.cluster, 'model_three__levels_0_2');
    assert.deepEqual(middle.targets.map((target) => [target.id, target.priority]), [['three#0', 0], ['three#2', 1]]);
    assert.equal(routeForLevels(three, [0, 1, 2]), three, 'all levels: the chain itself');
    assert.equal(routeForLevels(three, [0, 2]), middle, 'built once');
    assert.deepEqual(routeVariants(three).map((route) => route.cluster), ['model_three', 'model_three__levels_0', 'model_three__levels_1', 'model_three__levels_0_1', 'model_three__levels_2', 'model_three__levels_0_2', 'model_three__levels_1_2']);
  });

  test('a long chain keeps every level from the first usable one', () => {
    assert.equal(routeForLevels(five, [1, 3]).cluster, 'model_five__levels_1_2_3_4');
    assert.equal(routeVariants(five).length, 5);
    assert.ok(routeVariants(five).some((route) => route.cluster === routeForLevels(five, [3]).cluster));
  });
});

describe('chooseTargets at the real endpoints', () => {
  const mixed = buildRuntimeView(
    parseConfiguration(
      `
providers:
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com/v1, credential: { env: KEY } }
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  claude-then-gpt: { fallback: [{ provider: anthropic, model: claude-3-5-haiku }, { provider: openai, model: gpt-4o-mini }] }
`,
      {},
    ),
    { environment: { KEY: 'k' } },
  );
  const dependencies = { registry: createProviderRegistry(), capabilities: { of: () => undefined }, tokenCounter: { count: async () => 0 } };

  test('count_tokens: a later level that cannot take it is skipped, not a 500', () => {
    const route = mixed.models.get('claude-then-gpt')!;
    const call = countTokensEndpoint.parse(Buffer.from(JSON.stringify({ model: 'claude-then-gpt', messages: [{ role: 'user', content: 'hi' }] })), { 'anthropic-version': '2023-06-01' });
    const choice = chooseTargets(choiceInput(dependencies, countTokensEndpoint, call, route, 100, 'anthropic'));
    assert.ok(!(choice instanceof Promise));
    assert.deepEqual(choice.usable.map((target) => target.provider.kind), ['anthropic']);
    assert.equal(choice.skipped.get(route.targets[1]!.id)?.reason.code, 'unsupported_endpoint');
  });

  test('chat: a level whose provider cannot honour a parameter is skipped with its 400', () => {
    const route = mixed.models.get('claude-then-gpt')!;
    const request = chatCompletionsEndpoint.parse(Buffer.from(JSON.stringify({ model: 'claude-then-gpt', logprobs: true, messages: [{ role: 'user', content: 'hi' }] })), {});
    const choice = chooseTargets(choiceInput(dependencies, chatCompletionsEndpoint, request, route, 100, 'openai'));
    assert.ok(!(choice instanceof Promise));
    assert.deepEqual(choice.usable.map((target) => target.provider.kind), ['openai']);
    assert.equal(choice.skipped.get(route.targets[0]!.id)?.reason.param, 'logprobs');
  });
});

describe('countAfterAuthentication', () => {
  test('counts only once the caller is identified; a refusal is passed on and nothing is counted', async () => {
    const counted: string[] = [];
    const counter = {
      count: async (text: string) => {
        counted.push(text);
        return text.length;
      },
    };
    assert.equal(await countAfterAuthentication(() => undefined, counter).count('open'), 4);
    assert.equal(await countAfterAuthentication(() => Promise.resolve({ alias: 'team' }), counter).count('known'), 5);
    const refusal = new GatewayError({ status: 401, code: 'invalid_api_key', message: 'no' });
    await assert.rejects(countAfterAuthentication(() => Promise.reject(refusal), counter).count('stranger'), (error) => error === refusal);
    assert.deepEqual(counted, ['open', 'known']);
  });

  test('identify is asked only when something is counted', () => {
    let asked = 0;
    countAfterAuthentication(
      () => {
        asked++;
        return undefined;
      },
      { count: async () => 0 },
    );
    assert.equal(asked, 0);
  });
});
