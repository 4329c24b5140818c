import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { droppableExchanges, dropOldestExchanges } from '../../src/routing/truncate-turns.js';

/** context_policy truncate: the oldest exchanges go; the system prompt, the last user turn and tool call/result pairs stay intact. */
const chat = {
  model: 'm',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'result 1' },
    { role: 'assistant', content: 'first answer' },
    { role: 'user', content: 'second question' },
    { role: 'assistant', content: 'second answer' },
    { role: 'developer', content: 'Now answer in French.' },
    { role: 'user', content: 'last question' },
  ],
};
const contents = (request: unknown) => (request as { messages: Array<{ content: unknown }> }).messages.map((message) => message.content);

describe('truncate turns', () => {
  test('every exchange but the last can be dropped', () => {
    assert.equal(droppableExchanges(chat), 2);
  });

  test('dropping one exchange removes its tool call together with its result, and keeps the system prompt', () => {
    const { request, droppedTurns } = dropOldestExchanges(chat, 1);
    assert.equal(droppedTurns, 4);
    assert.deepEqual(contents(request), ['Be brief.', 'second question', 'second answer', 'Now answer in French.', 'last question']);
    assert.equal(chat.messages.length, 9, "the client's request is unchanged");
  });

  test('dropping every droppable exchange keeps the system turns and the last user turn', () => {
    const { request, droppedTurns } = dropOldestExchanges(chat, 5);
    assert.equal(droppedTurns, 6);
    assert.deepEqual(contents(request), ['Be brief.', 'Now answer in French.', 'last question']);
  });

  test('Anthropic Messages: a user turn of tool results stays with the tool_use that asked for it', () => {
    const call = {
      anthropicVersion: '2023-06-01',
      request: {
        system: 'Be brief.',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'r' }] },
          { role: 'assistant', content: 'answer' },
          { role: 'user', content: 'last' },
        ],
      },
    };
    assert.equal(droppableExchanges(call), 1, 'the tool_result turn does not start an exchange');
    const { request, droppedTurns } = dropOldestExchanges(call, 1);
    assert.equal(droppedTurns, 4);
    assert.deepEqual((request as typeof call).request.messages, [{ role: 'user', content: 'last' }]);
    assert.equal((request as typeof call).request.system, 'Be brief.');
    assert.equal((request as typeof call).anthropicVersion, '2023-06-01');
  });

  test('a single exchange cannot be truncated', () => {
    const single = { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'only' }] };
    assert.equal(droppableExchanges(single), 0);
    assert.deepEqual(dropOldestExchanges(single, 1), { request: single, droppedTurns: 0 });
  });
});
