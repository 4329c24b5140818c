import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { writeCountTokensResponse } from '../../../src/api/anthropic-messages/count-tokens-response.js';
import { ANY_REQUEST, anthropicClientAnswering } from '../../support/anthropic-sdk-client.js';

test('writeCountTokensResponse is what the SDK’s countTokens returns', async () => {
  const response = writeCountTokensResponse(1234);
  const typed: Anthropic.MessageTokensCount = response;
  const { model, messages } = ANY_REQUEST;
  const counted = await anthropicClientAnswering(JSON.stringify(typed)).messages.countTokens({ model, messages });
  assert.deepEqual(counted, { input_tokens: 1234 });
});
