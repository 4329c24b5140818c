import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { semanticSubject } from '../../src/cache/semantic-subject.js';

describe('semantic subject', () => {
  test('the last user turn is embedded; the rest of the request stays for the partition key', () => {
    const subject = semanticSubject('openai', {
      model: 'm',
      temperature: 0,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
        { role: 'user', content: [{ type: 'text', text: 'what is the capital' }, { type: 'text', text: 'of France?' }] },
      ],
    });
    assert.equal(subject?.text, 'what is the capital\nof France?');
    assert.deepEqual(subject?.context, {
      model: 'm',
      temperature: 0,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi' },
      ],
    });
  });

  test('never for tools, tool results, images or n > 1', () => {
    const user = { role: 'user', content: 'hi' };
    assert.equal(semanticSubject('openai', { messages: [user], tools: [{ type: 'function', function: { name: 'f' } }] }), undefined);
    assert.equal(semanticSubject('openai', { messages: [user], n: 2 }), undefined);
    assert.notEqual(semanticSubject('openai', { messages: [user], n: 1 }), undefined);
    assert.equal(semanticSubject('openai', { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c', content: '1' }, user] }), undefined);
    assert.equal(semanticSubject('openai', { messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }] }] }), undefined);
    assert.equal(semanticSubject('anthropic', { messages: [user], tools: [{ name: 'f', input_schema: { type: 'object' } }] }), undefined);
    assert.equal(semanticSubject('anthropic', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: '1' }] }] }), undefined);
    assert.equal(semanticSubject('anthropic', { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }] }] }), undefined);
  });

  test('never when the last turn is not the user\'s', () => {
    assert.equal(semanticSubject('anthropic', { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'The answer is' }] }), undefined);
  });
});
