import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateCutShortUsage, promptText } from '../../src/gateway/estimate-usage.js';

const counter = { count: async (text: string) => text.split(/\s+/).filter(Boolean).length };
const request = {
  model: 'm',
  messages: [
    { role: 'system' as const, content: 'be brief' },
    { role: 'user' as const, content: [{ type: 'text' as const, text: 'what is two plus two' }] },
  ],
};

describe('estimateCutShortUsage', () => {
  test('counts the prompt and the delivered events when the provider reported nothing', async () => {
    assert.equal(promptText(request), 'be brief\nwhat is two plus two');
    assert.deepEqual(await estimateCutShortUsage(() => promptText(request), undefined, 4, counter), {
      promptTokens: 7,
      completionTokens: 4,
      totalTokens: 11,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  test('keeps what the provider reported, never going below it', async () => {
    const reported = { promptTokens: 120, completionTokens: 9, totalTokens: 129, cachedTokens: 100, cacheWriteTokens: 0, reasoningTokens: 0 };
    const usage = await estimateCutShortUsage(() => promptText(request), reported, 3, counter);
    assert.equal(usage.promptTokens, 120);
    assert.equal(usage.completionTokens, 9);
    assert.equal(usage.cachedTokens, 100);
  });
});
