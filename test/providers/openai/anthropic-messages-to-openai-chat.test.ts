import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseMessagesRequest } from '../../../src/api/anthropic-messages/parse-messages-request.js';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToGemini } from '../../../src/providers/gemini/convert-request.js';
import { convertMessagesToChat } from '../../../src/providers/openai/anthropic-messages-to-openai-chat.js';
import { chatCompletionRequestSchema } from '../../../src/providers/openai/openai-api.js';
import { OPENAI_CHAT_TARGET, type OpenAIChatTarget } from '../../../src/providers/openai/openai-chat-target.js';

/** Requests go through the real parser first, as they will in the gateway. */
function convert(body: Record<string, unknown>, target: OpenAIChatTarget = OPENAI_CHAT_TARGET) {
  const chat = convertMessagesToChat(parseMessagesRequest(Buffer.from(JSON.stringify(body))), target);
  // Whatever the converter writes must be a request the gateway itself accepts as OpenAI's.
  const checked = chatCompletionRequestSchema.safeParse(chat);
  assert.ok(checked.success, `not a valid Chat Completions request: ${JSON.stringify(checked.error?.issues)}`);
  return chat;
}

function refusal(body: Record<string, unknown>, target: OpenAIChatTarget = OPENAI_CHAT_TARGET): GatewayError {
  try {
    convert(body, target);
  } catch (error) {
    assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.ok(error.message.startsWith(`${error.param}: `), `the message names the field: ${error.message}`);
    return error;
  }
  assert.fail('expected a refusal');
}

const MODEL = 'gpt-5';
const hello = [{ role: 'user', content: 'Hello' }];
const base = { model: MODEL, max_tokens: 256, messages: hello };
const user = (...content: unknown[]) => ({ role: 'user', content });
const assistant = (...content: unknown[]) => ({ role: 'assistant', content });
const withMessages = (...messages: unknown[]) => ({ ...base, messages });
const toolUse = (id: string, name: string, input: unknown) => ({ type: 'tool_use', id, name, input });
const toolResult = (id: string, content?: unknown, extra: Record<string, unknown> = {}) => ({ type: 'tool_result', tool_use_id: id, ...(content === undefined ? {} : { content }), ...extra });
const png = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
const pdf = (extra: Record<string, unknown> = {}) => ({ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, ...extra });

describe('convertMessagesToChat: messages', () => {
  test('a string message, and max_tokens as max_completion_tokens', () => {
    assert.deepEqual(convert(base), { model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 256 });
  });

  test('system as a string becomes the first message', () => {
    assert.deepEqual(convert({ ...base, system: 'Be brief.' }).messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello' },
    ]);
  });

  test('system blocks: one is a string, several are text parts; cache_control is dropped', () => {
    const one = convert({ ...base, system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }] });
    assert.deepEqual(one.messages[0], { role: 'system', content: 'A' });
    const two = convert({ ...base, system: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B', cache_control: { type: 'ephemeral', ttl: '1h' } }] });
    assert.deepEqual(two.messages[0], { role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] });
  });

  test('an empty system prompt is left out', () => {
    assert.deepEqual(convert({ ...base, system: '' }).messages, [{ role: 'user', content: 'Hello' }]);
    assert.deepEqual(convert({ ...base, system: [] }).messages, [{ role: 'user', content: 'Hello' }]);
  });

  test('a system message inside messages stays where it is', () => {
    const chat = convert(withMessages(user({ type: 'text', text: 'Q1' }), assistant({ type: 'text', text: 'A1' }), { role: 'system', content: 'Reminder' }, user({ type: 'text', text: 'Q2' })));
    assert.deepEqual(chat.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Q1' }] },
      { role: 'assistant', content: 'A1' },
      { role: 'system', content: 'Reminder' },
      { role: 'user', content: [{ type: 'text', text: 'Q2' }] },
    ]);
  });

  test('text and images: base64 as a data URL, a URL as is', () => {
    const chat = convert(withMessages(user({ type: 'text', text: 'What is this?' }, png, { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } })));
    assert.deepEqual(chat.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  test('an image from Anthropic’s Files API is refused', () => {
    const error = refusal(withMessages(user({ type: 'image', source: { type: 'file', file_id: 'file_1' } })));
    assert.equal(error.param, 'messages.0.content.0.source');
  });

  test('a base64 PDF becomes a file part named by its title, its context a text part before it', () => {
    const chat = convert(withMessages(user(pdf({ title: 'spec.pdf', context: 'The 2024 spec' }), { type: 'text', text: 'Summarise' })));
    assert.deepEqual(chat.messages[0], {
      role: 'user',
      content: [
        { type: 'text', text: 'The 2024 spec' },
        { type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
        { type: 'text', text: 'Summarise' },
      ],
    });
    assert.deepEqual((convert(withMessages(user(pdf()))).messages[0] as { content: unknown[] }).content, [
      { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
    ]);
  });

  test('a PDF is refused for a target that takes no file parts', () => {
    const error = refusal(withMessages(user(pdf())), { ...OPENAI_CHAT_TARGET, fileParts: false });
    assert.equal(error.param, 'messages.0.content.0.source');
    assert.match(error.message, /cannot read PDF documents/);
  });

  test('a plain-text document becomes text, led by its title and context', () => {
    const chat = convert(withMessages(user({ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Body.' }, title: 'Notes', context: 'From Bob' })));
    assert.deepEqual(chat.messages[0], { role: 'user', content: [{ type: 'text', text: 'Notes\n\nFrom Bob\n\nBody.' }] });
  });

  test('a content document becomes its text and image parts', () => {
    const chat = convert(withMessages(user({ type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'Page 1' }, png] } })));
    assert.deepEqual(chat.messages[0], {
      role: 'user',
      content: [
        { type: 'text', text: 'Page 1' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ],
    });
  });

  test('a document by URL, or asking for citations, is refused', () => {
    assert.equal(refusal(withMessages(user({ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }))).param, 'messages.0.content.0.source');
    assert.equal(refusal(withMessages(user(pdf({ citations: { enabled: true } })))).param, 'messages.0.content.0.citations');
  });

  test('assistant tool_use becomes tool_calls with the input as JSON text; the results follow as tool messages', () => {
    const chat = convert(
      withMessages(
        user({ type: 'text', text: 'Weather in Paris and Rome?' }),
        assistant({ type: 'text', text: 'Checking.' }, toolUse('toolu_1', 'get_weather', { city: 'Paris' }), toolUse('toolu_2', 'get_weather', { city: 'Rome' })),
        user(toolResult('toolu_1', '18C'), toolResult('toolu_2', [{ type: 'text', text: '24C' }]), { type: 'text', text: 'Compare them.' }),
      ),
    );
    assert.deepEqual(chat.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: '24C' },
      { role: 'user', content: [{ type: 'text', text: 'Compare them.' }] },
    ]);
  });

  test('an assistant message with only tool calls has null content', () => {
    const chat = convert(withMessages(user({ type: 'text', text: 'Go' }), assistant(toolUse('t1', 'now', {})), user(toolResult('t1', '12:00'))));
    assert.deepEqual(chat.messages[1], { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'now', arguments: '{}' } }] });
  });

  test('tool results come right after the calls even when the user wrote text first', () => {
    const chat = convert(withMessages(user({ type: 'text', text: 'Go' }), assistant(toolUse('t1', 'now', {})), user({ type: 'text', text: 'Here:' }, toolResult('t1', '12:00'))));
    assert.deepEqual(chat.messages.slice(2), [
      { role: 'tool', tool_call_id: 't1', content: '12:00' },
      { role: 'user', content: [{ type: 'text', text: 'Here:' }] },
    ]);
  });

  test('a failed tool’s result starts with "Error: "; an empty one is "Error"', () => {
    const chat = convert(
      withMessages(
        user({ type: 'text', text: 'Go' }),
        assistant(toolUse('t1', 'read', {}), toolUse('t2', 'write', {})),
        user(toolResult('t1', 'No such file', { is_error: true }), toolResult('t2', undefined, { is_error: true })),
      ),
    );
    assert.deepEqual(chat.messages.slice(2), [
      { role: 'tool', tool_call_id: 't1', content: 'Error: No such file' },
      { role: 'tool', tool_call_id: 't2', content: 'Error' },
    ]);
  });

  test('tool result content: absent is empty, several text blocks stay text parts', () => {
    const chat = convert(
      withMessages(user({ type: 'text', text: 'Go' }), assistant(toolUse('t1', 'a', {}), toolUse('t2', 'b', {})), user(toolResult('t1'), toolResult('t2', [{ type: 'text', text: 'x' }, { type: 'text', text: 'y' }]))),
    );
    assert.deepEqual(chat.messages.slice(2), [
      { role: 'tool', tool_call_id: 't1', content: '' },
      {
        role: 'tool',
        tool_call_id: 't2',
        content: [
          { type: 'text', text: 'x' },
          { type: 'text', text: 'y' },
        ],
      },
    ]);
  });

  test('images in a tool result, which a tool message cannot carry, follow in a user message that names the call', () => {
    const chat = convert(withMessages(user({ type: 'text', text: 'Screenshot?' }), assistant(toolUse('t1', 'screenshot', {})), user(toolResult('t1', [{ type: 'text', text: 'Taken.' }, png]))));
    assert.deepEqual(chat.messages.slice(2), [
      { role: 'tool', tool_call_id: 't1', content: 'Taken.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attachments of the result of tool call t1:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ]);
  });

  test('thinking in history is dropped; an assistant message with only thinking is left out', () => {
    const chat = convert(
      withMessages(
        user({ type: 'text', text: 'Q1' }),
        assistant({ type: 'thinking', thinking: 'hm', signature: 'sig' }, { type: 'text', text: 'A1' }),
        user({ type: 'text', text: 'Q2' }),
        assistant({ type: 'redacted_thinking', data: 'opaque' }),
        user({ type: 'text', text: 'Q3' }),
      ),
    );
    assert.deepEqual(chat.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Q1' }] },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: [{ type: 'text', text: 'Q2' }] },
      { role: 'user', content: [{ type: 'text', text: 'Q3' }] },
    ]);
  });

  test('a final assistant message (prefill) is refused', () => {
    const error = refusal(withMessages(user({ type: 'text', text: 'Q' }), assistant({ type: 'text', text: 'The answer is' })));
    assert.equal(error.param, 'messages.1');
  });

  const misplaced: [string, unknown[], string][] = [
    ['tool_use from the user', [user(toolUse('t', 'f', {}))], 'messages.0.content.0.type'],
    ['thinking from the user', [user({ type: 'thinking', thinking: 'x', signature: 's' })], 'messages.0.content.0.type'],
    ['an image from the assistant', [user({ type: 'text', text: 'Q' }), assistant(png), user({ type: 'text', text: 'Q' })], 'messages.1.content.0.type'],
    ['a tool_result from the assistant', [user({ type: 'text', text: 'Q' }), assistant(toolResult('t', 'x')), user({ type: 'text', text: 'Q' })], 'messages.1.content.0.type'],
    [
      'a server tool block',
      [user({ type: 'text', text: 'Q' }), assistant({ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }), user({ type: 'text', text: 'Q' })],
      'messages.1.content.0.type',
    ],
    ['a block kind in a tool result the gateway does not know', [user(toolResult('t', [{ type: 'search_result', source: 's', title: 't', content: [] }]))], 'messages.0.content.0.content.0.type'],
    ['a tool call made by code execution', [user({ type: 'text', text: 'Q' }), assistant({ ...toolUse('t', 'f', {}), caller: { type: 'code_execution_20250825', tool_id: 'x' } }), user(toolResult('t', 'x'))], 'messages.1.content.0.caller'],
  ];
  for (const [name, messages, param] of misplaced) {
    test(`refuses ${name}`, () => {
      assert.equal(refusal(withMessages(...messages)).param, param);
    });
  }

  test('a block field the converter does not know is refused by name', () => {
    assert.equal(refusal(withMessages(user({ type: 'text', text: 'a', something_new: true }))).param, 'messages.0.content.0.something_new');
    assert.equal(refusal(withMessages({ role: 'user', content: 'a', name: 'bob' })).param, 'messages.0.name');
  });
});

describe('convertMessagesToChat: tools', () => {
  // A schema strict mode accepts (OpenAI: every property required, no other properties).
  const weather = { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } };

  test('custom tools become functions; strict is kept, cache_control and eager_input_streaming dropped', () => {
    const chat = convert({ ...base, tools: [{ ...weather, strict: true, cache_control: { type: 'ephemeral' }, eager_input_streaming: true }, { name: 'now', input_schema: { type: 'object' } }] });
    assert.deepEqual(chat.tools, [
      { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: weather.input_schema, strict: true } },
      { type: 'function', function: { name: 'now', parameters: { type: 'object' } } },
    ]);
  });

  const choices: [string, unknown, Record<string, unknown>][] = [
    ['auto', { type: 'auto' }, { tool_choice: 'auto' }],
    ['any', { type: 'any' }, { tool_choice: 'required' }],
    ['tool', { type: 'tool', name: 'get_weather' }, { tool_choice: { type: 'function', function: { name: 'get_weather' } } }],
    ['none', { type: 'none' }, { tool_choice: 'none' }],
    ['auto without parallel calls', { type: 'auto', disable_parallel_tool_use: true }, { tool_choice: 'auto', parallel_tool_calls: false }],
    ['any without parallel calls', { type: 'any', disable_parallel_tool_use: true }, { tool_choice: 'required', parallel_tool_calls: false }],
    ['tool without parallel calls', { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true }, { tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false }],
    ['auto with parallel calls allowed', { type: 'auto', disable_parallel_tool_use: false }, { tool_choice: 'auto' }],
  ];
  for (const [name, choice, expected] of choices) {
    test(`tool_choice ${name}`, () => {
      const chat = convert({ ...base, tools: [weather], tool_choice: choice });
      assert.deepEqual({ tool_choice: chat.tool_choice, ...(chat.parallel_tool_calls === undefined ? {} : { parallel_tool_calls: chat.parallel_tool_calls }) }, expected);
    });
  }

  test('tool_choice without tools is left out, as OpenAI refuses it', () => {
    const chat = convert({ ...base, tool_choice: { type: 'auto', disable_parallel_tool_use: true } });
    assert.equal('tool_choice' in chat, false);
    assert.equal('parallel_tool_calls' in chat, false);
  });

  test('a server tool is refused', () => {
    const error = refusal({ ...base, tools: [weather, { type: 'web_search_20250305', name: 'web_search', max_uses: 3 }] });
    assert.equal(error.param, 'tools.1.type');
    assert.match(error.message, /web_search_20250305/);
  });

  test('a tool name longer than OpenAI’s 64 characters is refused', () => {
    const name = `mcp__server__${'x'.repeat(60)}`;
    assert.equal(refusal({ ...base, tools: [{ name, input_schema: { type: 'object' } }] }).param, 'tools.0.name');
  });

  test('deferred loading, code-execution callers and input examples are refused', () => {
    assert.equal(refusal({ ...base, tools: [{ ...weather, defer_loading: true }] }).param, 'tools.0.defer_loading');
    assert.equal(refusal({ ...base, tools: [{ ...weather, allowed_callers: ['code_execution_20250825'] }] }).param, 'tools.0.allowed_callers');
    assert.equal(refusal({ ...base, tools: [{ ...weather, input_examples: [{ city: 'Paris' }] }] }).param, 'tools.0.input_examples');
    assert.deepEqual(convert({ ...base, tools: [{ ...weather, allowed_callers: ['direct'], defer_loading: false }] }).tools?.length, 1);
  });
});

describe('convertMessagesToChat: parameters', () => {
  test('max_tokens goes in the field the target reads', () => {
    const chat = convert(base, { ...OPENAI_CHAT_TARGET, maxTokensField: 'max_tokens' });
    assert.equal(chat.max_tokens, 256);
    assert.equal('max_completion_tokens' in chat, false);
  });

  test('max_tokens 0 (cache pre-warming) is refused', () => {
    assert.equal(refusal({ ...base, max_tokens: 0 }).param, 'max_tokens');
  });

  test('stop_sequences become stop; none are left out', () => {
    assert.deepEqual(convert({ ...base, stop_sequences: ['END', '###'] }).stop, ['END', '###']);
    assert.equal('stop' in convert({ ...base, stop_sequences: [] }), false);
  });

  test('more than 4 stop sequences are refused', () => {
    const error = refusal({ ...base, stop_sequences: ['a', 'b', 'c', 'd', 'e'] });
    assert.equal(error.param, 'stop_sequences');
    assert.match(error.message, /at most 4/);
  });

  test('temperature and top_p pass unchanged', () => {
    const chat = convert({ ...base, temperature: 0.3, top_p: 0.8 });
    assert.deepEqual([chat.temperature, chat.top_p], [0.3, 0.8]);
  });

  test('top_k is refused, unless the target takes it', () => {
    assert.equal(refusal({ ...base, top_k: 40 }).param, 'top_k');
    assert.equal(convert({ ...base, top_k: 40 }, { ...OPENAI_CHAT_TARGET, topK: true }).top_k, 40);
  });

  test('metadata.user_id becomes user; a longer one than OpenAI takes becomes its SHA-256', () => {
    assert.equal(convert({ ...base, metadata: { user_id: 'user-42' } }).user, 'user-42');
    const long = `user_${'a'.repeat(64)}_account__session_1f2e3d4c-0000-4000-8000-000000000000`;
    const hashed = convert({ ...base, metadata: { user_id: long } }).user;
    assert.equal(hashed, createHash('sha256').update(long).digest('hex'));
    assert.equal(hashed?.length, 64);
  });

  test('stream asks for the usage chunk too', () => {
    const chat = convert({ ...base, stream: true });
    assert.deepEqual([chat.stream, chat.stream_options], [true, { include_usage: true }]);
    assert.equal('stream' in convert({ ...base, stream: false }), false);
  });

  const budgets: [number, string][] = [
    [1024, 'low'],
    [4000, 'low'],
    [4096, 'medium'],
    [10000, 'medium'],
    [16384, 'high'],
    [31999, 'high'],
  ];
  for (const [budget, effort] of budgets) {
    test(`thinking with a budget of ${budget} tokens is reasoning_effort ${effort}`, () => {
      assert.equal(convert({ ...base, max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: budget } }).reasoning_effort, effort);
    });
  }

  for (const thinking of [{ type: 'adaptive' }, { type: 'adaptive', display: 'omitted' }, { type: 'disabled' }, { type: 'between_tools' }]) {
    test(`thinking ${JSON.stringify(thinking)} leaves the model’s default`, () => {
      assert.equal('reasoning_effort' in convert({ ...base, thinking }), false);
    });
  }

  const efforts: [string, string][] = [
    ['low', 'low'],
    ['medium', 'medium'],
    ['high', 'high'],
    ['xhigh', 'xhigh'],
    ['max', 'xhigh'],
  ];
  for (const [effort, expected] of efforts) {
    test(`output_config.effort ${effort} is reasoning_effort ${expected}, over a thinking budget`, () => {
      const chat = convert({ ...base, max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 1024 }, output_config: { effort } });
      assert.equal(chat.reasoning_effort, expected);
    });
  }

  test('thinking or effort for a target that takes no reasoning_effort is refused', () => {
    const target = { ...OPENAI_CHAT_TARGET, reasoningEffort: false };
    assert.equal(refusal({ ...base, max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2048 } }, target).param, 'thinking');
    assert.equal(refusal({ ...base, output_config: { effort: 'low' } }, target).param, 'output_config.effort');
    assert.equal('reasoning_effort' in convert({ ...base, thinking: { type: 'adaptive' } }, target), false);
  });

  test('output_config.format becomes a strict json_schema response_format', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    assert.deepEqual(convert({ ...base, output_config: { format: { type: 'json_schema', schema } } }).response_format, {
      type: 'json_schema',
      json_schema: { name: 'output', schema, strict: true },
    });
  });

  test('serving hints are dropped: cache_control, service_tier, speed, context_management, diagnostics', () => {
    const chat = convert({
      ...base,
      cache_control: { type: 'ephemeral' },
      service_tier: 'auto',
      speed: 'fast',
      context_management: { edits: [{ type: 'clear_thinking_20251015' }] },
      diagnostics: { previous_message_id: 'msg_1' },
    });
    assert.deepEqual(chat, { model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 256 });
  });

  test('inference_geo, container and unknown fields are refused by name', () => {
    assert.equal(refusal({ ...base, inference_geo: 'eu' }).param, 'inference_geo');
    assert.equal(refusal({ ...base, container: 'container_1' }).param, 'container');
    assert.equal(refusal({ ...base, mcp_servers: [{ type: 'url', url: 'https://example.com' }] }).param, 'mcp_servers');
    assert.equal(refusal({ ...base, metadata: { user_id: 'u', tenant: 't' } }).param, 'metadata.tenant');
  });
});

describe('convertMessagesToChat: whole requests', () => {
  test('a request shaped like Claude Code’s converts without refusal', () => {
    const longUserId = `user_${'0'.repeat(64)}_account_00000000-0000-4000-8000-000000000000_session_00000000-0000-4000-8000-000000000001`;
    const chat = convert({
      model: 'claude-sonnet-4-6',
      max_tokens: 32000,
      stream: true,
      metadata: { user_id: longUserId },
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Instructions.', cache_control: { type: 'ephemeral' } },
      ],
      thinking: { type: 'adaptive', display: 'omitted' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      tools: [{ name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'], additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' } }],
      messages: [
        user({ type: 'text', text: '<system-reminder>ctx</system-reminder>' }, { type: 'text', text: 'Read a.txt', cache_control: { type: 'ephemeral' } }),
        assistant({ type: 'thinking', thinking: '', signature: 'sig' }, toolUse('toolu_01', 'Read', { file_path: 'a.txt' })),
        user(toolResult('toolu_01', [{ type: 'text', text: '1\thello' }], { cache_control: { type: 'ephemeral' } })),
        { role: 'system', content: [{ type: 'text', text: 'Keep going.' }] },
      ],
    });
    assert.equal(chat.messages.length, 5);
    assert.deepEqual(
      chat.messages.map((message) => message.role),
      ['system', 'user', 'assistant', 'tool', 'system'],
    );
    assert.equal(chat.user?.length, 64);
    assert.equal(chat.stream, true);
  });

  test('composed with the OpenAI-to-Gemini converter, a PDF reaches Gemini inline', () => {
    const chat = convert(withMessages(user(pdf(), { type: 'text', text: 'Summarise' })));
    const gemini = convertRequestToGemini(chat, { model: 'gemini-2.5-flash' }) as { contents: unknown };
    assert.deepEqual(gemini.contents, [{ role: 'user', parts: [{ inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } }, { text: 'Summarise' }] }]);
  });
});
