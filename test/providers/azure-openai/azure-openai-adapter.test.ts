import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { azureOpenAIAdapter } from '../../../src/providers/azure-openai/azure-openai-adapter.js';

const request = { model: 'gpt', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('azureOpenAIAdapter', () => {
  test('deployment path with api-version, key in api-key, no Authorization', () => {
    const upstream = azureOpenAIAdapter.buildRequest(request, { model: 'my-gpt4o', pathPrefix: '/openai', credential: 'azure-key', apiVersion: '2024-10-21' });
    assert.equal(upstream.path, '/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21');
    assert.equal(upstream.headers['api-key'], 'azure-key');
    assert.equal(upstream.headers.authorization, undefined);
    assert.equal(JSON.parse(upstream.body.toString()).model, 'my-gpt4o');
  });

  test('v1 path without api-version', () => {
    const upstream = azureOpenAIAdapter.buildRequest(request, { model: 'my-gpt4o', pathPrefix: '/openai/v1', credential: 'azure-key', apiVersion: undefined });
    assert.equal(upstream.path, '/openai/v1/chat/completions');
    assert.equal(upstream.headers['api-key'], 'azure-key');
  });
});
