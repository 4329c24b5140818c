import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { parseChatRequest, toParam } from '../../src/gateway/parse-chat-request.js';
import { nestedArrays, schemaOfDepth } from '../support/deep-json.js';

function refusal(body: unknown): GatewayError {
  try {
    parseChatRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected a refusal');
}

const user = [{ role: 'user', content: 'hi' }];

describe('parseChatRequest', () => {
  test('accepts a full OpenAI request, unknown new parameters included', () => {
    const request = parseChatRequest(
      Buffer.from(
        JSON.stringify({
          model: 'gpt',
          messages: [
            { role: 'developer', content: 'be brief' },
            { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
            { role: 'tool', tool_call_id: 'call_1', content: '42' },
          ],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          tool_choice: { type: 'function', function: { name: 'f' } },
          response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } },
          stop: ['a', 'b'],
          verbosity: 'low',
        }),
      ),
    );
    assert.equal(request.model, 'gpt');
    assert.equal((request as Record<string, unknown>).verbosity, 'low');
  });

  const cases: [string, unknown, number, string | null, string][] = [
    ['empty body', '', 400, null, 'missing_body'],
    ['not JSON', '{"model"', 400, null, 'invalid_json'],
    ['a JSON array', [], 400, null, 'invalid_json'],
    ['no model', { messages: user }, 400, 'model', 'missing_required_parameter'],
    ['no messages', { model: 'gpt' }, 400, 'messages', 'missing_required_parameter'],
    ['empty messages', { model: 'gpt', messages: [] }, 400, 'messages', 'invalid_value'],
    ['unknown role', { model: 'gpt', messages: [{ role: 'robot', content: 'x' }] }, 400, 'messages[0].role', 'invalid_value'],
    ['tool message without id', { model: 'gpt', messages: [{ role: 'tool', content: 'x' }] }, 400, 'messages[0].tool_call_id', 'missing_required_parameter'],
    ['image part without url', { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 400, 'messages[0].content[0].image_url.url', 'missing_required_parameter'],
    ['temperature out of range', { model: 'gpt', messages: user, temperature: 2.5 }, 400, 'temperature', 'invalid_value'],
    ['top_p out of range', { model: 'gpt', messages: user, top_p: -0.1 }, 400, 'top_p', 'invalid_value'],
    ['n as a string', { model: 'gpt', messages: user, n: '2' }, 400, 'n', 'invalid_value'],
    ['five stop sequences', { model: 'gpt', messages: user, stop: ['a', 'b', 'c', 'd', 'e'] }, 400, 'stop', 'invalid_value'],
    ['a bad tool name', { model: 'gpt', messages: user, tools: [{ type: 'function', function: { name: 'has space' } }] }, 400, 'tools[0].function.name', 'invalid_value'],
    ['a bad tool_choice', { model: 'gpt', messages: user, tool_choice: 'sometimes' }, 400, 'tool_choice', 'invalid_value'],
  ];
  for (const [name, body, status, param, code] of cases) {
    test(`refuses ${name}: ${status} ${code} ${param ?? ''}`, () => {
      const error = refusal(body);
      assert.equal(error.status, status);
      assert.equal(error.param, param);
      assert.equal(error.code, code);
      assert.equal(error.type, 'invalid_request_error');
      if (param) assert.ok(error.message.includes(`'${param}'`), error.message);
    });
  }

  test('toParam writes paths the way OpenAI names parameters', () => {
    assert.equal(toParam(['messages', 0, 'content', 1, 'image_url', 'url']), 'messages[0].content[1].image_url.url');
    assert.equal(toParam([]), '');
  });
});

describe('parseChatRequest bounds JSON nesting', () => {
  const base = { model: 'gpt', messages: user };
  const accepted = (body: Record<string, unknown>): void => {
    assert.doesNotThrow(() => parseChatRequest(Buffer.from(JSON.stringify(body))));
  };
  const refusedAt = (body: Record<string, unknown>, param: string): void => {
    const error = refusal(body);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'json_nesting_too_deep');
    assert.equal(error.param, param);
    assert.ok(error.message.includes(`'${param}'`) && error.message.includes('128'), error.message);
  };

  test('the body: 128 levels pass, 129 are refused naming the field', () => {
    accepted({ ...base, x: nestedArrays(127) });
    refusedAt({ ...base, x: nestedArrays(128) }, 'x');
  });

  test('the example from the issue: 5,000 levels are a 400, not a 500', () => {
    const text = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const error = refusal(text);
    assert.equal(error.status, 400);
    assert.equal(error.param, 'x');
  });

  test("a tool's parameters (level 5 of the body) may nest 124 levels", () => {
    const tool = (depth: number) => ({ type: 'function', function: { name: 'f', parameters: schemaOfDepth(depth) } });
    accepted({ ...base, tools: [tool(124)] });
    refusedAt({ ...base, tools: [{ type: 'function', function: { name: 'f' } }, tool(125)] }, 'tools[1].function.parameters');
  });

  test('a response_format schema (level 4 of the body) may nest 125 levels', () => {
    const format = (depth: number) => ({ type: 'json_schema', json_schema: { name: 'answer', schema: schemaOfDepth(depth) } });
    accepted({ ...base, response_format: format(125) });
    refusedAt({ ...base, response_format: format(126) }, 'response_format.json_schema.schema');
  });

  test('inside a message, the message and field are named', () => {
    refusedAt({ ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'x', extra: nestedArrays(126) }] }, 'messages[1].extra');
  });

  test('brackets inside strings are text, not nesting', () => {
    accepted({ ...base, messages: [{ role: 'user', content: '['.repeat(10_000) }] });
  });
});
