import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { exchange, type HttpReply } from '../support/raw-http.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Every answer names its request, through the real Envoy: in x-request-id (what the OpenAI
 * SDK reads into `request_id` / `requestID`) and x-gateway-request-id, refusals and Envoy's own
 * replies included, and the same id is the sidecar's `request_id` and Envoy's access log's.
 */
const PROVIDER_KEY = 'sk-provider-request-ids-5';
const CLIENT_KEY = 'sk-team-request-ids-0123456789';
const MAX_REQUEST_BYTES = 8 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids, through Envoy', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' }, 'gpt-other': { provider: 'mock', model: 'gpt-other' } },
      environment: { MOCK_KEY: PROVIDER_KEY },
      governance: { mode: 'closed' },
      keys: [{ alias: 'team', hash: hashKeySecret(CLIENT_KEY), models: ['gpt-test'] }],
      maxRequestBytes: MAX_REQUEST_BYTES,
    });
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  /** Envoy's access log lines (its JSON lines with a status). */
  const accessLines = () =>
    gateway
      .envoyLogs()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"upstream_cluster"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const accessLineOf = async (requestId: string) => {
    await waitFor(`the access log line of ${requestId}`, () => accessLines().some((line) => line.request_id === requestId), () => gateway.envoyLogs());
    return accessLines().find((line) => line.request_id === requestId)!;
  };
  const sidecarLineOf = async (requestId: string, event: string) => {
    await waitFor(`the sidecar's ${event} line of ${requestId}`, () => gateway.sidecarLogLines().some((line) => line.request_id === requestId && line.event === event), () => gateway.sidecarLogs());
    return gateway.sidecarLogLines().find((line) => line.request_id === requestId && line.event === event)!;
  };
  /** Both headers carry one id; returns it. */
  const idOf = (headers: { get(name: string): string | null }) => {
    const id = headers.get('x-request-id');
    assert.ok(id, 'x-request-id is set');
    assert.equal(headers.get('x-gateway-request-id'), id);
    return id;
  };
  const rawIdOf = (reply: HttpReply) => {
    const id = reply.headers['x-request-id'];
    assert.ok(id, `x-request-id is set on the ${reply.status}`);
    assert.equal(reply.headers['x-gateway-request-id'], id);
    return id;
  };

  test("a completion: the SDK's request_id is the id in the sidecar's log line and Envoy's access log; the provider's is kept apart", async () => {
    const { data, request_id, response } = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.ok(data.choices.length > 0);
    assert.match(request_id ?? '', UUID, "Envoy's id, not the provider's req_...");
    assert.equal(idOf(response.headers), request_id);
    assert.match(response.headers.get('x-upstream-request-id') ?? '', /^req_[0-9a-f]{32}$/);
    const logged = await sidecarLineOf(request_id!, 'request');
    assert.equal(logged.key_alias, 'team');
    const access = await accessLineOf(request_id!);
    assert.equal(access.status, 200);
    assert.equal(access.key_alias, 'team');
    assert.equal(access.path, '/v1/chat/completions');
  });

  test('a stream: the same, from withResponse() on a streamed completion', async () => {
    const { data, request_id } = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    for await (const _chunk of data) void _chunk;
    assert.match(request_id ?? '', UUID);
    await sidecarLineOf(request_id!, 'request');
    assert.equal((await accessLineOf(request_id!)).status, 200);
  });

  test("a refusal: the SDK's error has the id, and the sidecar logs it with the key's alias", async () => {
    const error = await client.chat.completions.create({ model: 'gpt-other', messages: [{ role: 'user', content: 'hi' }] }).then(
      () => assert.fail('a key limited to gpt-test may not use gpt-other'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 403);
    assert.match(error.requestID ?? '', UUID);
    assert.equal(idOf(error.headers!), error.requestID);
    const logged = await sidecarLineOf(error.requestID!, 'refusal');
    assert.equal(logged.key_alias, 'team');
    assert.equal(logged.code, 'model_not_allowed');
    const access = await accessLineOf(error.requestID!);
    assert.equal(access.status, 403);
    assert.equal(access.error, 'model_not_allowed');
    assert.equal(access.key_alias, 'team');
    assert.ok(!JSON.stringify(logged).includes(CLIENT_KEY));
  });

  test('a request with no key: the 401 carries the id, and its log lines name it', async () => {
    const anonymous = new OpenAI({ apiKey: 'sk-unknown-key', baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await anonymous.models.list().then(
      () => assert.fail('an unknown key is refused'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 401);
    assert.match(error.requestID ?? '', UUID);
    await sidecarLineOf(error.requestID!, 'refusal');
    assert.equal((await accessLineOf(error.requestID!)).status, 401);
  });

  test("GET /v1/models (raw HTTP) carries the id; a client's own x-request-id is replaced", async () => {
    const reply = await exchange(gateway.listenerPort, [`GET /v1/models HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nx-request-id: chosen-by-client\r\n\r\n`]);
    assert.equal(reply.status, 200, reply.body);
    const id = rawIdOf(reply);
    assert.match(id, UUID, 'not the id the client chose (listener.trust_client_request_id is off)');
    assert.equal((await accessLineOf(id)).path, '/v1/models');
  });

  test("Envoy's own replies carry the id its access log names: a 413 and a 431 refused before the sidecar sees them", async () => {
    const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'x'.repeat(MAX_REQUEST_BYTES) }] });
    const tooLarge = await exchange(gateway.listenerPort, [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ]);
    assert.equal(tooLarge.status, 413, tooLarge.body);
    const tooLargeId = rawIdOf(tooLarge);
    assert.match(tooLargeId, UUID);
    assert.equal((await accessLineOf(tooLargeId)).status, 413);

    // Envoy refuses this head before reading it, so it never names the request with a UUID: the reply's id is made from the connection.
    const headersTooLarge = await exchange(gateway.listenerPort, [`GET /v1/models HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nx-big: ${'a'.repeat(70 * 1024)}\r\n\r\n`]);
    assert.equal(headersTooLarge.status, 431);
    const unreadId = rawIdOf(headersTooLarge);
    assert.match(unreadId, /^envoy-\d+-\d+$/);
    assert.equal((await accessLineOf(unreadId)).status, 431);

    const another = await exchange(gateway.listenerPort, [`GET /v1/models HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nx-big: ${'a'.repeat(70 * 1024)}\r\n\r\n`]);
    assert.notEqual(rawIdOf(another), unreadId, 'each refused request has its own id');
  });

  test("an unknown path (the sidecar's 404) carries the id, in both logs", async () => {
    const reply = await exchange(gateway.listenerPort, ['GET /v1/nothing-here HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n']);
    assert.equal(reply.status, 404);
    const id = rawIdOf(reply);
    assert.equal((await sidecarLineOf(id, 'refusal')).code, 'unknown_url');
    assert.equal((await accessLineOf(id)).status, 404);
  });
});
