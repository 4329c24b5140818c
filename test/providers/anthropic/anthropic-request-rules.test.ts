import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToAnthropic } from '../../../src/providers/anthropic/convert-request.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';

/**
 * One test per documented Anthropic request rule that a translation of a valid OpenAI
 * request could break: each builds a request OpenAI accepts and checks that the body sent to
 * Anthropic keeps the rule (or that the request is refused with a 400 naming the field, when
 * the rule cannot be kept without changing the question).
 */
function convert(request: Record<string, unknown>, model = 'claude-sonnet-4-5'): any {
  const parsed = chatCompletionRequestSchema.parse({ model: 'claude', max_tokens: 64, ...request }) as ChatCompletionRequest;
  return convertRequestToAnthropic(parsed, { model, pathPrefix: '/v1', credential: undefined });
}

function assertRefused(request: Record<string, unknown>, param: string, model = 'claude-sonnet-4-5'): void {
  assert.throws(
    () => convert(request, model),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.equal(error.type, 'invalid_request_error');
      return true;
    },
  );
}

const call = (id: string, name = 'list_files', args = '{}') => ({ id, type: 'function', function: { name, arguments: args } });
const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });

/** Every text block anywhere in the body. */
function textBlocks(body: any): string[] {
  const texts: string[] = [];
  const visit = (blocks: any[]) => {
    for (const block of blocks) {
      if (block.type === 'text') texts.push(block.text);
      if (Array.isArray(block.content)) visit(block.content);
    }
  };
  visit(body.system ?? []);
  for (const message of body.messages) visit(message.content);
  return texts;
}

describe('Anthropic request rules, met by construction', () => {
  test('no system role in messages: system and developer messages become top-level system blocks', () => {
    const body = convert({ messages: [{ role: 'user', content: 'a' }, { role: 'developer', content: 'Be brief.' }, { role: 'system', content: 'No emoji.' }, { role: 'user', content: 'b' }] });
    assert.deepEqual(body.system, [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'No emoji.' }]);
    assert.deepEqual(body.messages.map((message: any) => message.role), ['user']);
  });

  test('text blocks are never empty nor only whitespace: system "   ", assistant "\\n\\n" beside tool calls, a user part "\\n", a blank tool output', () => {
    const body = convert({
      messages: [
        { role: 'system', content: '   ' },
        { role: 'system', content: [{ type: 'text', text: '\t' }, { type: 'text', text: 'Be kind.' }] },
        { role: 'user', content: [{ type: 'text', text: 'List files' }, { type: 'text', text: '\n' }] },
        { role: 'assistant', content: '\n\n', tool_calls: [call('call_1')] },
        { role: 'tool', tool_call_id: 'call_1', content: '  \n' },
        { role: 'assistant', content: [{ type: 'text', text: ' ' }], refusal: '\n' },
        { role: 'user', content: ' \r\n ' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    for (const text of textBlocks(body)) assert.match(text, /\S/, JSON.stringify(text));
    assert.deepEqual(body.system, [{ type: 'text', text: 'Be kind.' }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'List files' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'list_files', input: {} }] },
      // The blank tool output is a result without content; the assistant turn that said nothing is gone, so the user turns merge.
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1' }, { type: 'text', text: 'Thanks' }] },
    ]);
  });

  test('roles alternate: consecutive user and consecutive assistant messages are merged', () => {
    const body = convert({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }, { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }, { role: 'user', content: 'e' }] });
    assert.deepEqual(body.messages.map((message: any) => [message.role, message.content.length]), [['user', 2], ['assistant', 2], ['user', 1]]);
  });

  test('tool_result blocks come first in their user message, before text the client wrote earlier', () => {
    const body = convert({
      tools: [tool('list_files')],
      messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] }, { role: 'tool', tool_call_id: 'a', content: 'x' }, { role: 'user', content: 'also' }, { role: 'tool', tool_call_id: 'b', content: 'y' }],
    });
    assert.deepEqual(body.messages[2].content.map((block: any) => block.type), ['tool_result', 'tool_result', 'text']);
  });

  test('tool_use ids match ^[a-zA-Z0-9_-]+$; a call and its result get the same id, the same on every resend', () => {
    const history = [
      { role: 'user', content: 'List the files' },
      { role: 'assistant', content: null, tool_calls: [call('functions.list_files:0')] },
      { role: 'tool', tool_call_id: 'functions.list_files:0', content: 'a.txt' },
      { role: 'assistant', content: 'There is a.txt.' },
      { role: 'user', content: 'And now?' },
    ];
    const first = convert({ tools: [tool('list_files')], messages: history });
    const id = first.messages[1].content[0].id;
    assert.match(id, /^[a-zA-Z0-9_-]+$/);
    assert.equal(first.messages[2].content[0].tool_use_id, id);
    // The client resends the whole history with one more turn: the same id again.
    const second = convert({ tools: [tool('list_files')], messages: [...history, { role: 'assistant', content: 'Still a.txt.' }, { role: 'user', content: 'Sure?' }] });
    assert.equal(second.messages[1].content[0].id, id);
  });

  test('tool_use ids are unique in the request: an id reused by a later turn gets its own, and each result finds its call', () => {
    const body = convert({
      tools: [tool('list_files')],
      messages: [
        { role: 'user', content: 'List' },
        { role: 'assistant', content: null, tool_calls: [call('functions.list_files:0')] },
        { role: 'tool', tool_call_id: 'functions.list_files:0', content: 'one' },
        { role: 'assistant', content: null, tool_calls: [call('functions.list_files:0')] },
        { role: 'tool', tool_call_id: 'functions.list_files:0', content: 'two' },
        { role: 'assistant', content: null, tool_calls: [call('toolu_1')] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'three' },
        { role: 'assistant', content: null, tool_calls: [call('toolu_1')] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'four' },
      ],
    });
    const uses = body.messages.filter((message: any) => message.role === 'assistant').map((message: any) => message.content[0].id);
    const results = body.messages.slice(2).filter((message: any) => message.role === 'user').map((message: any) => message.content[0].tool_use_id);
    assert.equal(new Set(uses).size, 4);
    assert.deepEqual(results, uses);
    assert.equal(uses[2], 'toolu_1', 'an id Anthropic accepts is kept where it first appears');
    for (const id of uses) assert.match(id, /^[a-zA-Z0-9_-]+$/);
  });

  test('tool names in history match ^[a-zA-Z0-9_-]{1,64}$', () => {
    const body = convert({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('c1', 'functions.read_file')] }, { role: 'tool', tool_call_id: 'c1', content: 'x' }] });
    assert.match(body.messages[1].content[0].name, /^[a-zA-Z0-9_-]{1,64}$/);
  });

  test('thinking blocks come first in their assistant message, unchanged, and only when the request thinks', () => {
    const thinkingBlocks = [{ type: 'thinking', thinking: 'Check the dir.', signature: 'sig==' }, { type: 'redacted_thinking', data: 'enc==' }];
    const messages = [
      { role: 'user', content: 'List' },
      { role: 'assistant', content: 'Listing.', tool_calls: [call('toolu_1')], thinking_blocks: thinkingBlocks },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'a.txt' },
    ];
    const thinking = convert({ messages, reasoning_effort: 'low', max_tokens: 4000 });
    assert.deepEqual(thinking.messages[1].content.slice(0, 2), thinkingBlocks);
    assert.deepEqual(thinking.messages[1].content.map((block: any) => block.type), ['thinking', 'redacted_thinking', 'text', 'tool_use']);
    const plain = convert({ messages });
    assert.deepEqual(plain.messages[1].content.map((block: any) => block.type), ['text', 'tool_use']);
    assertRefused({ messages: [messages[0], { ...messages[1], thinking_blocks: [{ type: 'thinking', thinking: 'x' }] }, messages[2]], reasoning_effort: 'low', max_tokens: 4000 }, 'messages[1].thinking_blocks[0]');
  });

  test('a final assistant message does not end with whitespace', () => {
    const body = convert({ messages: [{ role: 'user', content: 'Write JSON' }, { role: 'assistant', content: '{"a": \n ' }] });
    assert.deepEqual(body.messages[1].content, [{ type: 'text', text: '{"a":' }]);
  });

  test('at least one message: a conversation with nothing visible is a 400 naming messages, not a provider error', () => {
    assertRefused({ messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: '\n' }] }, 'messages');
  });

  test('the conversation begins with a user turn: an empty first user message or an assistant turn first is a 400 naming that message', () => {
    const history = [{ role: 'assistant', content: null, tool_calls: [call('call_1', 'get_weather')] }, { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":18}' }];
    assertRefused({ messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: '' }, ...history], tools: [tool('get_weather')] }, 'messages[1].content');
    assertRefused({ messages: [{ role: 'user', content: [{ type: 'text', text: ' \n' }] }, ...history], tools: [tool('get_weather')] }, 'messages[0].content');
    assertRefused({ messages: [{ role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'hi' }] }, 'messages[0].role');
    const body = convert({ messages: [{ role: 'user', content: 'Weather?' }, ...history], tools: [tool('get_weather')] });
    assert.equal(body.messages[0].role, 'user');
  });

  test('a final assistant message (a prefill) is refused on Claude 4.6 and later, and with thinking', () => {
    const prefill = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] };
    assert.doesNotThrow(() => convert(prefill, 'claude-sonnet-4-5'));
    assertRefused(prefill, 'messages[1]', 'claude-opus-4-6');
    assertRefused(prefill, 'messages[1]', 'claude-opus-5');
    assertRefused({ ...prefill, reasoning_effort: 'low', max_tokens: 4000 }, 'messages[1]', 'claude-sonnet-4-5');
  });

  test('with a thinking budget, a tool loop continues only after an assistant turn that starts with its thinking block', () => {
    const loop = [{ role: 'user', content: 'List' }, { role: 'assistant', content: null, tool_calls: [call('toolu_1')] }, { role: 'tool', tool_call_id: 'toolu_1', content: 'a.txt' }];
    assertRefused({ messages: loop, reasoning_effort: 'medium', max_tokens: 16000 }, 'reasoning_effort');
    const withBlocks = [loop[0], { ...loop[1], thinking_blocks: [{ type: 'thinking', thinking: 'List it.', signature: 'sig' }] }, loop[2]];
    assert.equal(convert({ messages: withBlocks, reasoning_effort: 'medium', max_tokens: 16000 }).thinking.type, 'enabled');
    // A new user question after the loop starts a new turn: no block needed.
    assert.doesNotThrow(() => convert({ messages: [...loop, { role: 'assistant', content: 'a.txt' }, { role: 'user', content: 'More?' }], reasoning_effort: 'medium', max_tokens: 16000 }));
  });

  test('temperature stays within 0..1; with thinking it is 1 or unset, and top_p at least 0.95', () => {
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], temperature: 1.2 }, 'temperature');
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], temperature: 0.3, reasoning_effort: 'low', max_tokens: 4000 }, 'temperature');
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], top_p: 0.9, reasoning_effort: 'low', max_tokens: 4000 }, 'top_p');
    const body = convert({ messages: [{ role: 'user', content: 'Hi' }], temperature: 1, top_p: 0.95, reasoning_effort: 'low', max_tokens: 4000 });
    assert.equal(body.temperature, 1);
    assert.equal(body.top_p, 0.95);
  });

  test('models released after Claude Opus 4.6 sample at temperature 1 and top_p of 0.99 or more only', () => {
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], temperature: 0.2 }, 'temperature', 'claude-opus-4-7');
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], top_p: 0.5 }, 'top_p', 'claude-sonnet-5');
    assert.equal(convert({ messages: [{ role: 'user', content: 'Hi' }], temperature: 0.2 }, 'claude-opus-4-6').temperature, 0.2);
  });

  test('stop sequences contain something other than whitespace', () => {
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], stop: '\n' }, 'stop');
    assertRefused({ messages: [{ role: 'user', content: 'Hi' }], stop: ['END', ' '] }, 'stop');
    assert.deepEqual(convert({ messages: [{ role: 'user', content: 'Hi' }], stop: ['\nEND'] }).stop_sequences, ['\nEND']);
  });

  test('with thinking, tool_choice is "auto" or "none": a forced call is refused', () => {
    const base = { messages: [{ role: 'user', content: 'Hi' }], tools: [tool('list_files')], reasoning_effort: 'low', max_tokens: 4000 };
    assertRefused({ ...base, tool_choice: 'required' }, 'tool_choice');
    assertRefused({ ...base, tool_choice: { type: 'function', function: { name: 'list_files' } } }, 'tool_choice');
    assert.deepEqual(convert({ ...base, tool_choice: 'auto' }).tool_choice, { type: 'auto' });
  });

  test('images are at most 5 MB', () => {
    const big = 'A'.repeat(Math.ceil(((5 * 1024 * 1024 + 3) * 4) / 3));
    assertRefused({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${big}` } }] }] }, 'messages[0].content[0].image_url.url');
  });

  test('every tool_use is answered right after it, and every tool_result answers one: a broken history is a 400 naming the message', () => {
    assertRefused({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: null, tool_calls: [call('a'), call('b')] }, { role: 'tool', tool_call_id: 'a', content: 'x' }, { role: 'assistant', content: 'ok' }] }, 'messages[1].tool_calls[1].id');
    assertRefused({ messages: [{ role: 'user', content: 'go' }, { role: 'tool', tool_call_id: 'a', content: 'x' }] }, 'messages[1].tool_call_id');
  });

  test('metadata.user_id is at most 256 characters', () => {
    assert.ok(convert({ messages: [{ role: 'user', content: 'Hi' }], user: 'u'.repeat(1000) }).metadata.user_id.length <= 256);
  });
});
