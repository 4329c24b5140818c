import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { MAX_REQUEST_HEADERS, MAX_REQUEST_HEADERS_KIB } from '../../src/config/render-envoy.js';
import { ROUTE_HEADER } from '../../src/config/envoy-contract.js';
import { freePort } from '../support/free-port.js';
import { exchange, exchangeHttp2, type HttpReply } from '../support/raw-http.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { delayed } from '../support/faults.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Every reply Envoy makes itself reaches the client, as OpenAI error JSON that says what was
 * wrong, whether or not the sidecar ever saw the request. Requests are written byte by byte on
 * raw sockets (HTTP/1.1) and with node:http2 (h2c, prior knowledge), so malformed input reaches
 * the real Envoy exactly as sent.
 */
const PROVIDER_KEY = 'sk-provider-local-replies-7';
const MAX_REQUEST_BYTES = 64 * 1024;

interface ExpectedError {
  status: number;
  type: 'invalid_request_error' | 'server_error';
  code: string;
  message: RegExp;
}

/** The reply is the status, with OpenAI error JSON saying what was wrong. */
function assertOpenAIError(reply: HttpReply, expected: ExpectedError): void {
  if (reply.statusLine.startsWith('HTTP/1.1')) assert.match(reply.statusLine, new RegExp(`^HTTP/1\\.1 ${expected.status} [A-Z]`));
  assert.equal(reply.status, expected.status, reply.body);
  assert.equal(reply.headers['content-type'], 'application/json');
  const body = JSON.parse(reply.body) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body).sort(), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.type, expected.type);
  assert.equal(body.error.code, expected.code);
  assert.equal(body.error.param, null);
  assert.match(String(body.error.message), expected.message);
}

/** Anthropic's `{"type":"error","error":{type,message}}`, read from an Anthropic SDK exception. */
function assertAnthropicError(error: InstanceType<typeof Anthropic.APIError>, type: string, message: RegExp): void {
  const body = error.error as { type?: string; error?: { type?: string; message?: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error?.type, type);
  assert.match(String(body.error?.message), message);
}

const chatBody = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] });
const postChat = (model: string) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chatBody(model))}\r\n\r\n${chatBody(model)}`;
const getModels = (extraHeaders: string) => `GET /v1/models HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n${extraHeaders}\r\n`;
const HEADER_LIMIT = new RegExp(`${MAX_REQUEST_HEADERS_KIB} KiB.*${MAX_REQUEST_HEADERS} header fields`);

describe("Envoy's own replies, through the generated bootstrap", () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let port: number;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    const nothingListens = await freePort();
    gateway = await startGateway({
      providers: {
        mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } },
        dead: { kind: 'openai', base_url: `http://127.0.0.1:${nothingListens}/v1`, credential: { env: 'MOCK_KEY' } },
      },
      models: {
        'gpt-test': { provider: 'mock', model: 'gpt-upstream' },
        refused: { provider: 'dead', model: 'model-dead' },
      },
      environment: { MOCK_KEY: PROVIDER_KEY },
      maxRequestBytes: MAX_REQUEST_BYTES,
      // One try, cut after a second: Envoy's own 503 and 504 reach the client without retries.
      resilience: { attempts_per_level: 1, max_attempts: 1, per_try_timeout: '1s' },
    });
    port = gateway.listenerPort;
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const sidecarStreams = async () => (await gateway.envoyStats()).get('http.gateway.ext_proc.streams_started') ?? 0;

  describe('header limits: 431 naming both limits, and the sidecar never asked', () => {
    const cases: [string, string][] = [
      // The two examples of the finding.
      ['GET /v1/models with one 62,000-byte header', getModels(`x-pad: ${'a'.repeat(62_000)}\r\n`)],
      ['Authorization: Bearer followed by 100 KiB', getModels(`Authorization: Bearer ${'a'.repeat(100 * 1024)}\r\n`)],
      [`${MAX_REQUEST_HEADERS + 1} small headers`, getModels(Array.from({ length: MAX_REQUEST_HEADERS + 1 }, (_, index) => `x-header-${index}: v\r\n`).join(''))],
      ['a 70,000-byte URL (the request line counts)', `GET /v1/models?q=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n`],
      ['a chat request with a 62,000-byte header', postChat('gpt-test').replace('Host: gateway\r\n', `Host: gateway\r\nx-pad: ${'a'.repeat(62_000)}\r\n`)],
    ];
    for (const [name, request] of cases) {
      test(name, async () => {
        const streamsBefore = await sidecarStreams();
        assertOpenAIError(await exchange(port, [request]), { status: 431, type: 'invalid_request_error', code: 'request_headers_too_large', message: HEADER_LIMIT });
        assert.equal(await sidecarStreams(), streamsBefore, 'Envoy answered without opening an ext_proc stream');
      });
    }
  });

  describe('requests the HTTP/1.1 codec rejects: a 400 (or 426, 501) that says what was wrong', () => {
    const cases: [string, string, ExpectedError][] = [
      ['a header name with an underscore', getModels('x_api_key: 1\r\n'), { status: 400, type: 'invalid_request_error', code: 'invalid_header_name', message: /underscore/ }],
      ['a control character in a header value', getModels('x-note: a\u0001b\r\n'), { status: 400, type: 'invalid_request_error', code: 'invalid_header_value', message: /header value/ }],
      ['a header name that is not a token', getModels('x@note: 1\r\n'), { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /not valid HTTP\/1\.1 \(http1\.codec_error\).*header names/ }],
      ['a bad method', 'G@T /v1/models HTTP/1.1\r\nHost: gateway\r\n\r\n', { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /not valid HTTP\/1\.1.*method/ }],
      [
        'a Content-Length that is not a number',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Length: abc\r\n\r\n',
        { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /Content-Length/ },
      ],
      [
        'two different Content-Lengths',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
        { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /Content-Length/ },
      ],
      [
        'Content-Length together with chunked',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
        { status: 400, type: 'invalid_request_error', code: 'invalid_request_framing', message: /both Content-Length and Transfer-Encoding/ },
      ],
      [
        'a chunk size that is not hexadecimal',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /chunked framing/ },
      ],
      ['no Host header', 'GET /v1/models HTTP/1.1\r\nConnection: close\r\n\r\n', { status: 400, type: 'invalid_request_error', code: 'missing_host_header', message: /no Host header/ }],
      ['HTTP/1.0', 'GET /v1/models HTTP/1.0\r\nHost: gateway\r\n\r\n', { status: 426, type: 'invalid_request_error', code: 'http_version_not_supported', message: /HTTP\/1\.1 and HTTP\/2/ }],
      [
        'a Transfer-Encoding other than chunked',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nTransfer-Encoding: gzip\r\n\r\n',
        { status: 501, type: 'invalid_request_error', code: 'unsupported_transfer_encoding', message: /Transfer-Encoding other than chunked/ },
      ],
      ['a WebSocket upgrade', getModels('Connection: Upgrade\r\nUpgrade: websocket\r\n').replace('Connection: close\r\n', ''), { status: 403, type: 'invalid_request_error', code: 'upgrade_not_supported', message: /upgrades/ }],
      ['CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { status: 403, type: 'invalid_request_error', code: 'upgrade_not_supported', message: /tunnels/ }],
    ];
    for (const [name, request, expected] of cases) {
      test(name, async () => {
        const streamsBefore = await sidecarStreams();
        assertOpenAIError(await exchange(port, [request]), expected);
        assert.equal(await sidecarStreams(), streamsBefore, 'Envoy answered without opening an ext_proc stream');
      });
    }

    test('a framing error in a body that arrives after the headers still gets its 400', async () => {
      const stats = async () => (await gateway.envoyStats()).get('http.gateway.ext_proc.stream_msgs_received') ?? 0;
      const received = await stats();
      const reply = await exchange(port, [
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n',
        {
          // Were the sidecar shown the headers now, its answer would turn on the response phases
          // before the bad chunk arrives. Give it that chance (it is not shown them: the body is read first).
          pause: () => waitFor('the sidecar to answer the request headers', async () => (await stats()) > received, undefined, 1000).catch(() => undefined),
        },
        'zz\r\n',
      ]);
      assertOpenAIError(reply, { status: 400, type: 'invalid_request_error', code: 'malformed_request', message: /chunked framing/ });
    });
  });

  describe('body limit: 413 naming the limit', () => {
    test('a declared Content-Length body over the limit', async () => {
      const body = 'a'.repeat(MAX_REQUEST_BYTES + 1);
      const reply = await exchange(port, [`POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body]);
      assertOpenAIError(reply, { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: new RegExp(`at most ${MAX_REQUEST_BYTES} bytes`) });
    });

    test('a chunked body over the limit', async () => {
      const chunk = 'a'.repeat(MAX_REQUEST_BYTES);
      const reply = await exchange(port, [
        'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
        `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      ]);
      assertOpenAIError(reply, { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: new RegExp(`at most ${MAX_REQUEST_BYTES} bytes`) });
    });

    test('over HTTP/2', async () => {
      const reply = await exchangeHttp2(port, { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }, 'a'.repeat(MAX_REQUEST_BYTES + 1));
      assertOpenAIError(reply, { status: 413, type: 'invalid_request_error', code: 'request_too_large', message: new RegExp(`at most ${MAX_REQUEST_BYTES} bytes`) });
    });
  });

  describe('upstream failures Envoy answers for', () => {
    for (const protocol of ['HTTP/1.1', 'HTTP/2'] as const) {
      const send = (model: string) =>
        protocol === 'HTTP/1.1' ? exchange(port, [postChat(model)]) : exchangeHttp2(port, { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }, chatBody(model));

      test(`a provider that does not answer in time: 504 (${protocol})`, async () => {
        upstream.respondWith(delayed(4000));
        assertOpenAIError(await send('gpt-test'), { status: 504, type: 'server_error', code: 'gateway_timeout', message: /did not answer in time \(upstream_per_try_timeout\)/ });
      });

      test(`a provider that refuses connections: 503 (${protocol})`, async () => {
        assertOpenAIError(await send('refused'), { status: 503, type: 'server_error', code: 'service_unavailable', message: /could not be reached \(upstream_reset_before_response_started\{remote_connection_failure/ });
      });
    }
  });

  describe("on /v1/messages: Anthropic's error shape", () => {
    const anthropic = () => new Anthropic({ apiKey: 'sk-client', authToken: null, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });

    test('a body over the limit: 413 request_too_large, which the Anthropic SDK raises as ContentTooLargeError', async () => {
      const error = await anthropic()
        .messages.create({ model: 'gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'a'.repeat(MAX_REQUEST_BYTES + 1) }] })
        .then(() => undefined, (thrown: unknown) => thrown);
      assert.ok(error instanceof Anthropic.ContentTooLargeError, String(error));
      assertAnthropicError(error, 'request_too_large', new RegExp(`at most ${MAX_REQUEST_BYTES} bytes`));
    });

    test('a provider that refuses connections: 503 overloaded_error, an error the SDK retries', async () => {
      const error = await anthropic()
        .messages.create({ model: 'refused', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
        .then(() => undefined, (thrown: unknown) => thrown);
      assert.ok(error instanceof Anthropic.ServiceUnavailableError, String(error));
      assertAnthropicError(error, 'overloaded_error', /could not be reached/);
    });

    test('a provider that does not answer in time: 504 timeout_error, the SDK GatewayTimeoutError', async () => {
      upstream.respondWith(delayed(4000));
      const error = await anthropic()
        .messages.create({ model: 'gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })
        .then(() => undefined, (thrown: unknown) => thrown);
      assert.ok(error instanceof Anthropic.GatewayTimeoutError, String(error));
      assertAnthropicError(error, 'timeout_error', /did not answer in time/);
    });
  });

  describe('the sidecar unavailable (last: these stop it)', () => {
    test('a sidecar that does not answer: 504 after the message timeout, nothing forwarded', async () => {
      const forwarded = upstream.requests.length;
      gateway.signalSidecar('SIGSTOP');
      try {
        assertOpenAIError(await exchange(port, [postChat('gpt-test')]), { status: 504, type: 'server_error', code: 'gateway_timeout', message: /request processor did not answer in time \(ext_proc_error_per-message_timeout_exceeded\)/ });
      } finally {
        gateway.signalSidecar('SIGCONT');
      }
      assert.equal(upstream.requests.length, forwarded);
    });

    test('a sidecar that is down: 503 for chat and for /v1/models, over HTTP/1.1 and HTTP/2', async () => {
      const forwarded = upstream.requests.length;
      await gateway.killSidecar('SIGKILL');
      const expected: ExpectedError = { status: 503, type: 'server_error', code: 'service_unavailable', message: /request processor is unavailable \(ext_proc_error_gRPC_error/ };
      assertOpenAIError(await exchange(port, [postChat('gpt-test')]), expected);
      assertOpenAIError(await exchange(port, [getModels('')]), expected);
      assertOpenAIError(await exchangeHttp2(port, { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }, chatBody('gpt-test')), expected);
      assertOpenAIError(await exchangeHttp2(port, { ':method': 'GET', ':path': '/v1/models' }), expected);
      assert.equal(upstream.requests.length, forwarded);
    });
  });
});

describe("Envoy's own replies when its bootstrap is out of step with the sidecar", () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let port: number;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: {
        'gpt-test': { provider: 'mock', model: 'gpt-upstream' },
        ghost: { provider: 'mock', model: 'ghost' },
        empty: { provider: 'mock', model: 'empty' },
        lost: { provider: 'mock', model: 'lost' },
      },
      environment: { MOCK_KEY: PROVIDER_KEY },
      resilience: { attempts_per_level: 1, max_attempts: 1 },
      // Faults a generated bootstrap never has, as after a stale or hand-edited one.
      editBootstrap: (bootstrap) => {
        const resources = bootstrap.static_resources as {
          clusters: { name: string; load_assignment?: { endpoints: unknown[] } }[];
          listeners: { filter_chains: { filters: { typed_config: { route_config: { virtual_hosts: { routes: { match: unknown }[] }[] } } }[] }[] }[];
        };
        resources.clusters = resources.clusters.filter((cluster) => cluster.name !== 'model_ghost');
        resources.clusters.find((cluster) => cluster.name === 'model_empty')!.load_assignment!.endpoints = [];
        // No route for the model 'lost': the route skips requests the sidecar sends to its cluster.
        resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config.virtual_hosts[0]!.routes[0]!.match = {
          prefix: '/',
          headers: [{ name: ROUTE_HEADER, string_match: { exact: 'model_lost' }, invert_match: true }],
        };
      },
    });
    port = gateway.listenerPort;
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('no route: 404', async () => {
    assertOpenAIError(await exchange(port, [postChat('lost')]), { status: 404, type: 'invalid_request_error', code: 'route_not_found', message: /No route for this request \(route_not_found\)/ });
  });

  for (const protocol of ['HTTP/1.1', 'HTTP/2'] as const) {
    const send = (model: string) =>
      protocol === 'HTTP/1.1' ? exchange(port, [postChat(model)]) : exchangeHttp2(port, { ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }, chatBody(model));

    test(`the model that is in step is still served (${protocol})`, async () => {
      const reply = await send('gpt-test');
      assert.equal(reply.status, 200, reply.body);
      assert.equal((JSON.parse(reply.body) as { object: string }).object, 'chat.completion');
    });

    test(`no cluster for the model: 503 (${protocol})`, async () => {
      assertOpenAIError(await send('ghost'), { status: 503, type: 'server_error', code: 'service_unavailable', message: /no upstream cluster for this model.*\(cluster_not_found\)/ });
    });

    test(`no endpoint for the model: 503 no healthy upstream (${protocol})`, async () => {
      assertOpenAIError(await send('empty'), { status: 503, type: 'server_error', code: 'service_unavailable', message: /No healthy upstream provider for this model \(no_healthy_upstream\)/ });
    });
  }

});
