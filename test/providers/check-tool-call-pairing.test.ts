import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { checkToolCallPairing } from '../../src/providers/check-tool-call-pairing.js';
import { chatCompletionRequestSchema, type ChatMessage } from '../../src/providers/openai/openai-api.js';

function messages(list: unknown[]): ChatMessage[] {
  return chatCompletionRequestSchema.parse({ model: 'm', messages: list }).messages;
}

const call = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
const calls = (...ids: string[]) => ({ role: 'assistant', content: null, tool_calls: ids.map(call) });
const result = (id: string) => ({ role: 'tool', tool_call_id: id, content: 'ok' });
const user = (text: string) => ({ role: 'user', content: text });

function assertRefused(list: unknown[], param: string): void {
  assert.throws(
    () => checkToolCallPairing(messages(list)),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === param && error.code === 'invalid_value',
  );
}

describe('checkToolCallPairing', () => {
  test('answered calls pass, in any order, with user text between, and ids reused by later turns', () => {
    assert.doesNotThrow(() =>
      checkToolCallPairing(
        messages([user('go'), calls('functions.f:0', 'b'), result('b'), user('and?'), result('functions.f:0'), calls('functions.f:0'), result('functions.f:0'), { role: 'assistant', content: 'done' }]),
      ),
    );
  });

  test('a tool message that answers no call of the latest assistant message is refused, naming it', () => {
    assertRefused([user('go'), result('x')], 'messages[1].tool_call_id');
    assertRefused([user('go'), calls('a'), result('a'), result('a')], 'messages[3].tool_call_id');
    assertRefused([user('go'), calls('a'), result('a'), { role: 'assistant', content: 'ok' }, result('a')], 'messages[4].tool_call_id');
  });

  test('a call nobody answered is refused, naming it, whether another turn follows or the history ends', () => {
    assertRefused([user('go'), calls('a', 'b'), result('a'), { role: 'assistant', content: 'next' }], 'messages[1].tool_calls[1].id');
    assertRefused([user('go'), calls('a')], 'messages[1].tool_calls[0].id');
  });

  test('one id twice in one assistant message is refused', () => {
    assertRefused([user('go'), calls('a', 'a'), result('a'), result('a')], 'messages[1].tool_calls[1].id');
  });
});
