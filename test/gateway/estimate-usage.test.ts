import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateCutShortUsage, promptText } from '../../src/gateway/estimate-usage.js';
import { DeliveredOutput } from '../../src/providers/delivered-output.js';

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
    assert.deepEqual(await estimateCutShortUsage(() => promptText(request), undefined, { contentEvents: 4, output: undefined }, counter), {
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
    const usage = await estimateCutShortUsage(() => promptText(request), reported, { contentEvents: 3, output: undefined }, counter);
    assert.equal(usage.promptTokens, 120);
    assert.equal(usage.completionTokens, 9);
    assert.equal(usage.cachedTokens, 100);
  });

  test('a translated stream is counted by its delivered text, tool calls and reasoning, not its events', async () => {
    const output = new DeliveredOutput();
    output.addReasoning('first think it over ');
    output.addText('two plus two is four ');
    output.addText('lookup');
    output.addText('{"q": "sum"}');
    // Anthropic's message_start: input counted, output only its start value.
    const reported = { promptTokens: 12, completionTokens: 1, totalTokens: 13, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const usage = await estimateCutShortUsage(() => promptText(request), reported, { contentEvents: 3, output }, counter);
    // 5 words of text, 1 of the name glued to 3 of arguments ("lookup{"q":" "sum"}" -> 2), 4 of reasoning.
    assert.deepEqual(usage, { promptTokens: 12, completionTokens: 4 + 5 + 2, totalTokens: 23, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 4 });
  });

  test('a translated stream is never counted below the last partial count the provider reported', async () => {
    const output = new DeliveredOutput();
    output.addText('short');
    output.addReasoning('brief');
    const reported = { promptTokens: 50, completionTokens: 40, totalTokens: 90, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 30 };
    const usage = await estimateCutShortUsage(() => promptText(request), reported, { contentEvents: 1, output }, counter);
    assert.equal(usage.completionTokens, 40);
    assert.equal(usage.reasoningTokens, 30);
    assert.equal(usage.totalTokens, 90);
  });
});
