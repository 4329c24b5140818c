import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { gzipSync } from 'node:zlib';
import { schemaOfDepth } from '../support/deep-json.js';
import { completion, MOCK_REPLY_WORDS, MOCK_USAGE, startMockOpenAIUpstream, streamEvents, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * The walking skeleton end to end: the official OpenAI SDK -> real Envoy -> sidecar ->
 * mock OpenAI upstream, streaming and not, with the upstream checking what it receives.
 */
const PROVIDER_KEY = 'sk-provider-e2e-0123456789abcdef';
const CLIENT_KEY = 'sk-client-should-never-travel';

describe('OpenAI-compatible chat through Envoy', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: {
        mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_OPENAI_KEY' } },
        absent: { kind: 'openai', base_url: 'https://api.openai.com/v1', credential: { env: 'UNSET_PROVIDER_KEY' } },
      },
      models: {
        'gpt-test': { provider: 'mock', model: 'gpt-upstream' },
        'other-model': { provider: 'mock', model: 'other-upstream' },
        'needs-key': { provider: 'absent', model: 'gpt-4o' },
      },
      environment: { MOCK_OPENAI_KEY: PROVIDER_KEY },
      maxRequestBytes: 64 * 1024,
    });
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('a non-streaming completion arrives as the upstream sent it, with usage', async () => {
    const before = upstream.requests.length;
    const completion = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Say hello' }] });
    assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(completion.model, 'gpt-upstream-2025-01-01');
    assert.deepEqual(completion.usage, MOCK_USAGE);

    assert.equal(upstream.requests.length, before + 1);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.path, '/v1/chat/completions');
    assert.equal(sent.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    assert.equal(sent.headers.host, `127.0.0.1:${upstream.port}`);
    assert.equal(sent.json?.model, 'gpt-upstream', 'the alias is replaced by the provider model');
    assert.deepEqual(sent.json?.messages, [{ role: 'user', content: 'Say hello' }]);
    assert.equal(sent.headers['content-length'], String(Buffer.byteLength(sent.body)), 'the provider gets a content-length, not a chunked upload');
    assert.ok(!sent.body.includes(CLIENT_KEY));
    for (const name of Object.keys(sent.headers)) assert.ok(!name.startsWith('x-gateway-'), `internal header ${name} reached the provider`);
  });

  test('a stream is reassembled by the SDK; usage is metered but not sent unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'Stream please' }], stream: true });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, MOCK_REPLY_WORDS.join(''));
    assert.ok(chunks.every((chunk) => chunk.choices.length > 0), 'no usage-only chunk when the client did not ask');
    assert.ok(chunks.every((chunk) => !chunk.usage));
    const sent = upstream.requests.at(-1)!;
    assert.deepEqual(sent.json?.stream_options, { include_usage: true }, 'the gateway always asks the upstream for usage');
  });

  test('a stream with include_usage ends with the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Stream with usage' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, MOCK_REPLY_WORDS.join(''));
    assert.deepEqual(usage, MOCK_USAGE);
  });

  test('a provider that compresses anyway is decompressed: metering and the client see plain bytes', async () => {
    upstream.respondWith(
      (request, response) => {
        const body = gzipSync(JSON.stringify(completion(String(request.json?.model))));
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
        response.end(body);
      },
      (request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
        response.end(gzipSync(streamEvents(String(request.json?.model), true).join('')));
      },
    );
    const whole = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'zip' }] });
    assert.equal(whole.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(upstream.requests.at(-1)!.headers['accept-encoding'], 'identity', 'the gateway asks for uncompressed answers');
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'zip' }], stream: true, stream_options: { include_usage: true } })) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, MOCK_REPLY_WORDS.join(''));
    assert.deepEqual(usage, MOCK_USAGE);
  });

  test('provider account headers never reach the client', async () => {
    const response = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    for (const name of ['openai-organization', 'x-ratelimit-remaining-requests', 'set-cookie', 'cf-ray', 'x-envoy-attempt-count', 'x-envoy-upstream-service-time']) {
      assert.equal(response.headers.get(name), null, `${name} reached the client`);
    }
    assert.match(response.headers.get('x-gateway-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await response.text();
  });

  test('GET /v1/models lists the models the gateway can serve', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    assert.deepEqual(ids.sort(), ['gpt-test', 'other-model'], 'a model whose provider has no key is not listed');
    const one = await client.models.retrieve('gpt-test');
    assert.equal(one.id, 'gpt-test');
    assert.equal(one.object, 'model');
  });

  test('client-sent internal and Envoy control headers neither reach the provider nor steer routing', async () => {
    const response = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${CLIENT_KEY}`,
        'x-api-key': CLIENT_KEY,
        cookie: 'session=client-cookie',
        'x-gateway-route': 'model_other-model',
        'x-gateway-request-id': 'forged-id',
        'x-envoy-upstream-rq-timeout-ms': '1',
        'x-envoy-max-retries': '5',
      },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200);
    await response.text();
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.json?.model, 'gpt-upstream', 'routed by the body, not by the forged header');
    assert.equal(sent.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    assert.equal(sent.headers['x-api-key'], undefined);
    assert.equal(sent.headers.cookie, undefined);
    assert.equal(sent.headers['x-envoy-upstream-rq-timeout-ms'], undefined);
    assert.equal(sent.headers['x-envoy-max-retries'], undefined);
    assert.ok(!JSON.stringify(sent.headers).includes('forged-id'));
    // Neither the client's address nor Envoy's own control headers reach a provider.
    for (const name of Object.keys(sent.headers)) assert.ok(!/^(x-envoy-|x-forwarded-|x-gateway-)/.test(name), `${name} reached the provider`);
  });

  describe('refusals are OpenAI errors the SDK understands', () => {
    test('malformed JSON is a 400 that says so', async () => {
      const count = upstream.requests.length;
      const response = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gpt-test",' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), 'application/json');
      const body = (await response.json()) as { error: { code: string; message: string; type: string } };
      assert.equal(body.error.code, 'invalid_json');
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /not valid JSON/);
      assert.equal(upstream.requests.length, count, 'nothing was forwarded');
    });

    test('a schema violation is a BadRequestError naming the parameter', async () => {
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], temperature: 3 }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError);
          assert.equal(error.status, 400);
          assert.equal(error.param, 'temperature');
          assert.match(error.message, /temperature/);
          return true;
        },
      );
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] } as never),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'messages[0].content[0].image_url.url',
      );
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [] }),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'messages',
      );
    });

    test('JSON nested past 128 levels is a 400 naming the field, not a 500; at 128 it is forwarded intact (issue 11)', async () => {
      const count = upstream.requests.length;
      const deep = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], x: deep(128) } as never),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'x' && error.code === 'json_nesting_too_deep',
      );
      // The example, sent as text: the SDK itself cannot serialise 5,000 levels.
      const response = await fetch(`${gateway.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { code: string; param: string; type: string } };
      assert.deepEqual([body.error.code, body.error.param, body.error.type], ['json_nesting_too_deep', 'x', 'invalid_request_error']);
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: schemaOfDepth(125) } }] }),
        (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'tools[0].function.parameters' && error.code === 'json_nesting_too_deep',
      );
      assert.equal(upstream.requests.length, count, 'nothing was forwarded');

      await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], x: deep(127), tools: [{ type: 'function', function: { name: 'f', parameters: schemaOfDepth(124) } }] } as never);
      const sent = upstream.requests.at(-1)!;
      assert.deepEqual(sent.json?.x, deep(127));
      assert.deepEqual((sent.json!.tools as { function: { parameters: unknown } }[])[0]!.function.parameters, schemaOfDepth(124));
    });

    test('fields OpenAI would refuse are refused here, naming them (issue 11)', async () => {
      const count = upstream.requests.length;
      const messages = [{ role: 'user' as const, content: 'hi' }];
      const cases: [() => Promise<unknown>, string, string][] = [
        [() => client.chat.completions.create({ model: 'gpt-test', messages, metadata: { tier: 3 } } as never), 'metadata.tier', 'invalid_type'],
        [() => client.chat.completions.create({ model: 'gpt-test', messages, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: [] } } }] } as never), 'tools[0].function.parameters', 'invalid_function_parameters'],
        [() => client.chat.completions.create({ model: 'gpt-test', messages, n: 129 }), 'n', 'integer_above_max_value'],
        [() => client.chat.completions.create({ model: 'gpt-test', messages, stream_options: { include_usage: true } }), 'stream_options', 'invalid_value'],
      ];
      for (const [call, param, code] of cases) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError);
          assert.equal(error.param, param);
          assert.equal(error.code, code);
          return true;
        });
      }
      assert.equal(upstream.requests.length, count, 'nothing was forwarded');
    });

    test('an unknown model is a NotFoundError', async () => {
      await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.equal((error as InstanceType<typeof OpenAI.NotFoundError>).code, 'model_not_found');
        assert.match((error as Error).message, /no-such-model/);
        return true;
      });
      await assert.rejects(client.chat.completions.create({ model: 'needs-key', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.NotFoundError);
        assert.match((error as Error).message, /UNSET_PROVIDER_KEY/);
        return true;
      });
    });

    test('a body over the limit is a 413 from Envoy, in OpenAI form', async () => {
      const count = upstream.requests.length;
      await assert.rejects(
        client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.APIError);
          assert.equal(error.status, 413);
          assert.equal((error as InstanceType<typeof OpenAI.APIError>).code, 'request_too_large');
          assert.match((error as Error).message, /65536 bytes/);
          return true;
        },
      );
      assert.equal(upstream.requests.length, count);
    });

    test('an unknown endpoint is a 404 naming it', async () => {
      const response = await fetch(`${gateway.baseURL}/images/generations`, { method: 'POST', body: '{}' });
      assert.equal(response.status, 404);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unknown_url');
      assert.match(body.error.message, /\/v1\/images\/generations/);
    });
  });

  test('metrics and logs account for the traffic, and never contain a credential', async () => {
    const metrics = await gateway.sidecarMetrics();
    assert.match(metrics, /llm_gateway_requests_total\{gen_ai_request_model="gpt-test",gen_ai_response_model="gpt-upstream",gen_ai_provider_name="mock",http_response_status_code="200",gen_ai_streaming="true"\} 3/);
    assert.match(metrics, /gen_ai_client_token_usage_sum\{gen_ai_request_model="gpt-test",gen_ai_provider_name="mock",gen_ai_token_type="input"\} \d+/);
    assert.match(metrics, /llm_gateway_refusals_total\{reason="model_not_found"\} 1/);
    // Log lines are written in batches, at most 100 ms late.
    const requestLines = () => gateway.sidecarLogLines().filter((line) => line.event === 'request');
    await waitFor('the request log lines', () => requestLines().length >= 5);
    const lines = requestLines();
    const streamed = lines.find((line) => line.stream === true);
    assert.equal(streamed?.prompt_tokens, MOCK_USAGE.prompt_tokens);
    assert.equal(streamed?.completion_tokens, MOCK_USAGE.completion_tokens);
    assert.equal(streamed?.model, 'gpt-test');
    assert.equal(streamed?.model_served, 'gpt-upstream-2025-01-01');
    assert.equal(typeof streamed?.time_to_first_token_ms, 'number');
    const logs = gateway.sidecarLogs() + gateway.envoyLogs();
    assert.ok(!logs.includes(PROVIDER_KEY), 'the provider key is in a log');
    assert.ok(!logs.includes(CLIENT_KEY), 'the client key is in a log');
    assert.ok(!metrics.includes(PROVIDER_KEY));
  });
});
