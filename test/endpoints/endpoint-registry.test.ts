import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEndpointRegistry } from '../../src/endpoints/create-endpoint-registry.js';

describe('the endpoint registry', () => {
  const registry = createEndpointRegistry();

  test('(method, path) picks the endpoint, with a trailing slash, a query or no /v1 prefix', () => {
    assert.equal(registry.match('POST', '/v1/chat/completions').endpoint?.name, 'chat.completions');
    assert.equal(registry.match('POST', '/chat/completions/').endpoint?.name, 'chat.completions');
    assert.equal(registry.match('POST', '/v1/messages?beta=true').endpoint?.name, 'messages');
    assert.equal(registry.match('POST', '/messages').endpoint?.name, 'messages');
    assert.equal(registry.match('POST', '/v1/messages/count_tokens').endpoint?.name, 'messages.count_tokens');
    assert.equal(registry.match('GET', '/v1/models').endpoint?.name, 'models');
    assert.equal(registry.match('POST', '/embeddings').endpoint?.name, 'embeddings');
    assert.equal(registry.match('GET', '/v1/models/gpt-4o').endpoint?.name, 'models');
  });

  test('an unknown path is a 404 listing what is served, in the format of the client the path implies', () => {
    const openai = registry.match('GET', '/v1/images/generations');
    assert.equal(openai.refusal?.status, 404);
    assert.equal(openai.refusal?.code, 'unknown_url');
    assert.equal(openai.endpoint, undefined);
    assert.equal(openai.refusal && 'clientFormat' in openai ? openai.clientFormat : undefined, 'openai');
    assert.match(openai.refusal!.message, /POST \/v1\/chat\/completions, GET \/v1\/models, POST \/v1\/messages, POST \/v1\/messages\/count_tokens, POST \/v1\/embeddings/);

    const anthropic = registry.match('POST', '/v1/messages/batches');
    assert.equal(anthropic.refusal?.status, 404);
    assert.equal(anthropic.refusal && 'clientFormat' in anthropic ? anthropic.clientFormat : undefined, 'anthropic');
  });

  test('a known path with another method is a 405 naming the allowed one', () => {
    const match = registry.match('GET', '/v1/messages');
    assert.equal(match.refusal?.status, 405);
    assert.equal(match.refusal?.headers.allow, 'POST');
    assert.equal(match.refusal && 'clientFormat' in match ? match.clientFormat : undefined, 'anthropic');
    assert.equal(registry.match('DELETE', '/v1/chat/completions').refusal?.status, 405);
  });
});
