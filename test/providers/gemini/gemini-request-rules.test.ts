import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToGemini, SKIP_THOUGHT_SIGNATURE } from '../../../src/providers/gemini/convert-request.js';
import { GEMINI_FUNCTION_NAME } from '../../../src/providers/fit-identifier.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';

/**
 * One test per documented Gemini request rule that a translation of a valid OpenAI request
 * could break (see convertMessages in src/providers/gemini/convert-request.ts).
 */
function convert(request: Record<string, unknown>, model = 'gemini-2.5-flash'): any {
  return convertRequestToGemini(chatCompletionRequestSchema.parse({ model: 'gemini', ...request }) as ChatCompletionRequest, { model });
}

function assertRefused(request: Record<string, unknown>, param: string, model = 'gemini-2.5-flash'): void {
  assert.throws(
    () => convert(request, model),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      return true;
    },
  );
}

const call = (id: string, name: string, args = '{}') => ({ id, type: 'function', function: { name, arguments: args } });
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });

describe('Gemini request rules, met by construction', () => {
  test('roles are "user" and "model" only; system and developer go to systemInstruction', () => {
    const body = convert({
      messages: [{ role: 'developer', content: 'Terse.' }, { role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('c', 'f')] }, { role: 'tool', tool_call_id: 'c', content: 'x' }, { role: 'system', content: 'Late.' }],
    });
    for (const content of body.contents) assert.ok(content.role === 'user' || content.role === 'model', content.role);
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Terse.' }, { text: 'Late.' }] });
  });

  test('no content has empty parts and no text part is empty', () => {
    const body = convert({ messages: [{ role: 'system', content: '' }, { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'a' }] }, { role: 'assistant', content: '' }, { role: 'user', content: 'b' }] });
    for (const content of body.contents) {
      assert.ok(content.parts.length > 0);
      for (const part of content.parts) if ('text' in part) assert.notEqual(part.text, '');
    }
    assert.equal(body.systemInstruction, undefined);
  });

  test('turns alternate: consecutive contents of one role are merged', () => {
    const body = convert({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }] });
    assert.deepEqual(body.contents.map((content: any) => [content.role, content.parts.length]), [['user', 2], ['model', 2]]);
  });

  test('each function response names its call and follows the model turn that made it, one per call', () => {
    const body = convert({
      tools: [tool('get_weather'), tool('get_time')],
      messages: [
        { role: 'user', content: 'Weather and time?' },
        { role: 'assistant', content: null, tool_calls: [call('c1', 'get_weather'), call('c2', 'get_time')] },
        { role: 'tool', tool_call_id: 'c2', content: '12:00' },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    });
    assert.deepEqual(body.contents.map((content: any) => content.role), ['user', 'model', 'user']);
    assert.deepEqual(body.contents[2].parts.map((part: any) => part.functionResponse.name), ['get_time', 'get_weather']);
    assertRefused({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('c1', 'f'), call('c2', 'f')] }, { role: 'tool', tool_call_id: 'c1', content: 'x' }] }, 'messages[1].tool_calls[1].id');
  });

  test('function names follow Gemini\'s rule in declarations, calls, responses and allowedFunctionNames alike', () => {
    const body = convert({
      tools: [tool('3d_render'), tool('get_weather')],
      tool_choice: { type: 'function', function: { name: '3d_render' } },
      messages: [
        { role: 'user', content: 'Render' },
        { role: 'assistant', content: null, tool_calls: [call('functions.3d_render:0', '3d_render'), call('x', 'functions.read_file/v2')] },
        { role: 'tool', tool_call_id: 'functions.3d_render:0', content: 'done' },
        { role: 'tool', tool_call_id: 'x', content: 'text' },
      ],
    });
    const declared = body.tools[0].functionDeclarations.map((declaration: any) => declaration.name);
    const called = body.contents[1].parts.map((part: any) => part.functionCall.name);
    const answered = body.contents[2].parts.map((part: any) => part.functionResponse.name);
    for (const name of [...declared, ...called, ...answered, ...body.toolConfig.functionCallingConfig.allowedFunctionNames]) assert.match(name, GEMINI_FUNCTION_NAME.accepts);
    assert.equal(called[0], declared[0], 'a call of a declared tool keeps matching its declaration');
    assert.deepEqual(answered, called);
    assert.deepEqual(body.toolConfig.functionCallingConfig.allowedFunctionNames, [declared[0]]);
  });

  test('a function call turn follows a user turn: one that would open the conversation is refused', () => {
    assertRefused({ messages: [{ role: 'system', content: 'x' }, { role: 'assistant', content: null, tool_calls: [call('c', 'f')] }, { role: 'tool', tool_call_id: 'c', content: 'y' }] }, 'messages[1]');
  });

  test('there is at least one content', () => {
    assertRefused({ messages: [{ role: 'system', content: 'Only a system prompt.' }] }, 'messages');
  });

  test('every replayed function call carries a thought signature', () => {
    const body = convert({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('c', 'f')] }, { role: 'tool', tool_call_id: 'c', content: 'y' }] });
    assert.equal(body.contents[1].parts[0].thoughtSignature, SKIP_THOUGHT_SIGNATURE);
  });
});
