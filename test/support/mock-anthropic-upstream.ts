import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/**
 * A stand-in for Anthropic's Messages API (POST /v1/messages), faithful to its documented
 * wire format (docs.claude.com/en/api/messages, .../messages-streaming, .../errors). It
 * refuses what the real API refuses (missing max_tokens or anthropic-version, a system
 * role inside messages, turns that do not alternate, a tool_result without its tool_use),
 * records what arrived, and answers: a tool call when tools are offered and the last user
 * turn asks for the weather (or one whose input echoes the text, when the turn starts with
 * `Tool: `), a sentence using the tool result when one comes back, and an
 * echo otherwise.
 */
export interface AnthropicRecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface MockAnthropicUpstream {
  readonly port: number;
  readonly requests: AnthropicRecordedRequest[];
  /** Problems found in requests (the mock also answered them with a 400). */
  readonly problems: string[];
  /** Answers the next authenticated requests, in order, with these recorded failures (JSON bodies) instead. */
  failNext(...failures: RecordedFailure[]): void;
  close(): Promise<void>;
}

/** A failure as the provider sends it: status, JSON body (as recorded), extra headers. */
export interface RecordedFailure {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** What the mock's count_tokens answers, whatever the prompt. */
export const ANTHROPIC_COUNTED_TOKENS = 2095;

export const ANTHROPIC_USAGE = { input_tokens: 21, cache_creation_input_tokens: 4, cache_read_input_tokens: 8, output_tokens: 9 };
/** The output tokens of a thinking block the mock writes, and the signature it carries. */
export const ANTHROPIC_THINKING_TOKENS = 30;
export const ANTHROPIC_THINKING_SIGNATURE = 'EqMockSignature==';

export async function startMockAnthropicUpstream(options: { expectedKey: string }): Promise<MockAnthropicUpstream> {
  const requests: AnthropicRecordedRequest[] = [];
  const problems: string[] = [];
  const failures: RecordedFailure[] = [];
  const server: Server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      requests.push({ path: incoming.url ?? '', headers: incoming.headers, body });
      if (incoming.headers['x-api-key'] !== options.expectedKey) {
        return anthropicError(response, 401, 'authentication_error', 'invalid x-api-key');
      }
      const failure = failures.shift();
      if (failure !== undefined) {
        response.writeHead(failure.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(failure.body)), ...failure.headers });
        return response.end(failure.body);
      }
      if (incoming.url === '/v1/messages/count_tokens') {
        // https://docs.claude.com/en/api/messages-count-tokens: the prompt's fields, no max_tokens; the answer is the count alone.
        const problem = validateHeaders(incoming.headers) ?? (typeof body?.model !== 'string' ? 'model: Field required' : undefined) ?? (!Array.isArray(body?.messages) || body.messages.length === 0 ? 'messages: Field required' : undefined);
        if (problem) {
          problems.push(problem);
          return anthropicError(response, 400, 'invalid_request_error', problem);
        }
        return sendJson(response, 200, { input_tokens: ANTHROPIC_COUNTED_TOKENS });
      }
      const problem = validate(incoming.url ?? '', incoming.headers, body);
      if (problem) {
        problems.push(problem);
        return anthropicError(response, 400, 'invalid_request_error', problem);
      }
      const content = answer(body);
      const thinks = body.thinking?.type === 'enabled' || body.thinking?.type === 'adaptive';
      if (thinks) content.unshift({ type: 'thinking', thinking: `Thinking about: ${lastUserText(body)}`, signature: ANTHROPIC_THINKING_SIGNATURE });
      const usage = thinks ? { ...ANTHROPIC_USAGE, output_tokens: ANTHROPIC_USAGE.output_tokens + ANTHROPIC_THINKING_TOKENS, output_tokens_details: { thinking_tokens: ANTHROPIC_THINKING_TOKENS } } : ANTHROPIC_USAGE;
      if (body.stream === true) return stream(response, body.model, content, usage);
      const json = {
        id: 'msg_01MockNonStream',
        type: 'message',
        role: 'assistant',
        model: `${body.model}-20251001`,
        content,
        stop_reason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage,
      };
      sendJson(response, 200, json);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    problems,
    failNext: (...next) => void failures.push(...next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The API versions Anthropic serves (https://docs.claude.com/en/api/versioning): 2023-06-01,
 * which SDKs before 1.0 pin, and 2026-10-21, which @anthropic-ai/sdk 1.x sends.
 */
const ANTHROPIC_VERSIONS: ReadonlySet<string> = new Set(['2023-06-01', '2026-10-21']);

const TOOL_USE_ID = /^[a-zA-Z0-9_-]+$/;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Anthropic's messages for text blocks it refuses (docs.claude.com/en/api/messages; recorded error bodies). */
function textProblem(where: string, text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '') return `${where}: text content blocks must be non-empty`;
  if (text.trim() === '') return `${where}: text content blocks must contain non-whitespace text`;
  return undefined;
}

function validateHeaders(headers: IncomingHttpHeaders): string | undefined {
  if (!ANTHROPIC_VERSIONS.has(String(headers['anthropic-version']))) return `anthropic-version header: unknown version ${String(headers['anthropic-version'])}`;
  if (!String(headers['content-type']).startsWith('application/json')) return 'content-type must be application/json';
  if (headers.authorization) return 'an Authorization header reached Anthropic';
  return undefined;
}

function validate(path: string, headers: IncomingHttpHeaders, body: any): string | undefined {
  if (path !== '/v1/messages') return `unexpected path ${path}`;
  const headerProblem = validateHeaders(headers);
  if (headerProblem) return headerProblem;
  if (body === undefined || typeof body !== 'object') return 'body is not JSON';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: expected string or text blocks';
  for (const block of Array.isArray(body.system) ? body.system : []) {
    const problem = textProblem('system', block.text);
    if (problem) return problem;
  }
  for (const sequence of body.stop_sequences ?? []) {
    if (typeof sequence !== 'string' || sequence.trim() === '') return 'stop_sequences: each stop sequence must contain non-whitespace';
  }
  const thinking = body.thinking?.type === 'enabled';
  if (thinking) {
    const budget = body.thinking.budget_tokens;
    if (!Number.isInteger(budget) || budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (budget >= body.max_tokens) return '`max_tokens` must be greater than `thinking.budget_tokens`';
    if (body.temperature !== undefined && body.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled';
    if (body.top_p !== undefined && body.top_p < 0.95) return '`top_p` must be greater than or equal to 0.95 when thinking is enabled';
    if (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  const toolUseIds = new Set<string>();
  let previousRole: string | undefined;
  let unanswered = new Set<string>();
  for (const [index, message] of body.messages.entries()) {
    if (message.role !== 'user' && message.role !== 'assistant') return `messages.${index}.role: Input should be 'user' or 'assistant'`;
    if (message.role === previousRole) return `messages.${index}: roles must alternate between "user" and "assistant"`;
    if (index === 0 && message.role !== 'user') return 'messages.0: first message must use the "user" role';
    previousRole = message.role;
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (!Array.isArray(blocks)) return `messages.${index}.content: expected string or blocks`;
    if (message.role === 'assistant' && unanswered.size > 0) return `messages.${index - 1}: tool_use ids were found without tool_result blocks immediately after: ${[...unanswered].join(', ')}`;
    const answerable = message.role === 'user' ? unanswered : new Set<string>();
    let seenOther = false;
    for (const [blockIndex, block] of blocks.entries()) {
      const where = `messages.${index}.content.${blockIndex}`;
      if (block.type === 'tool_use') {
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || typeof block.input !== 'object') return `${where}: malformed tool_use`;
        if (!TOOL_USE_ID.test(block.id)) return `${where}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`;
        if (!TOOL_NAME.test(block.name)) return `${where}.tool_use.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
        if (toolUseIds.has(block.id)) return `${where}: \`tool_use\` ids must be unique`;
        toolUseIds.add(block.id);
      } else if (block.type === 'tool_result') {
        if (seenOther) return `${where}: tool_result blocks must come first in the user message`;
        if (!answerable.delete(block.tool_use_id)) return `${where}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        for (const part of Array.isArray(block.content) ? block.content : []) {
          const problem = part.type === 'text' ? textProblem(where, part.text) : undefined;
          if (problem) return problem;
        }
      } else if (block.type === 'text') {
        const problem = textProblem(where, block.text);
        if (problem) return problem;
      } else if (block.type === 'thinking' || block.type === 'redacted_thinking') {
        if (message.role !== 'assistant' || seenOther) return `${where}: thinking blocks must come first in an assistant message`;
        continue;
      } else if (block.type === 'image') {
        if (block.source?.type !== 'base64' && block.source?.type !== 'url') return `${where}: image source`;
      } else if (block.type !== 'document') {
        return `${where}: unexpected block type ${block.type}`;
      }
      if (block.type !== 'tool_result') seenOther = true;
    }
    if (message.role === 'user') {
      if (unanswered.size > 0) return `messages.${index - 1}: tool_use ids were found without tool_result blocks immediately after: ${[...unanswered].join(', ')}`;
    } else {
      unanswered = new Set(blocks.filter((block: any) => block.type === 'tool_use').map((block: any) => block.id));
    }
  }
  const last = body.messages.at(-1);
  if (last.role === 'assistant') {
    const lastBlock = Array.isArray(last.content) ? last.content.at(-1) : { type: 'text', text: last.content };
    if (lastBlock?.type === 'text' && /\s$/.test(lastBlock.text)) return 'messages: final assistant content cannot end with trailing whitespace';
    if (thinking) return 'messages: prefill is not compatible with thinking';
  } else if (thinking && body.messages.length > 1 && last.content.some?.((block: any) => block.type === 'tool_result')) {
    const first = body.messages.at(-2).content[0];
    if (first?.type !== 'thinking' && first?.type !== 'redacted_thinking') {
      return 'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block.';
    }
  }
  if (body.tools !== undefined) {
    for (const [index, tool] of body.tools.entries()) {
      if (typeof tool.name !== 'string' || typeof tool.input_schema !== 'object') return 'tools: each tool needs name and input_schema';
      if (!TOOL_NAME.test(tool.name)) return `tools.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
      // Anthropic's words for any other schema type.
      if (tool.input_schema.type !== 'object') return `tools.${index}.custom.input_schema.type: Input should be 'object'`;
    }
  }
  return undefined;
}

function lastUserText(body: any): string {
  const last = body.messages.at(-1);
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  return blocks.filter((block: any) => block.type === 'text').map((block: any) => block.text).join(' ');
}

function answer(body: any): any[] {
  const last = body.messages.at(-1);
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  const toolResult = blocks.find((block: any) => block.type === 'tool_result');
  if (toolResult) {
    const result = typeof toolResult.content === 'string' ? toolResult.content : toolResult.content.map((part: any) => part.text).join('');
    return [{ type: 'text', text: `The weather is ${result}.` }];
  }
  const text = blocks.filter((block: any) => block.type === 'text').map((block: any) => block.text).join(' ');
  if (body.tools?.length && text.startsWith('Tool: ')) {
    // A tool call whose input carries what the user wrote (so a test sees what the provider received come back as arguments).
    return [{ type: 'tool_use', id: 'toolu_01Echo', name: body.tools[0].name, input: { request: text.slice(6) } }];
  }
  if (body.tools?.length && /weather/i.test(text)) {
    return [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_01Mock', name: body.tools[0].name, input: { city: 'Paris', unit: 'celsius' } },
    ];
  }
  return [{ type: 'text', text: `Echo: ${text}` }];
}

async function stream(response: ServerResponse, model: string, content: any[], usage: Record<string, unknown>): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_mock' });
  const send = async (type: string, data: object) => {
    response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  };
  await send('message_start', {
    message: { id: 'msg_01MockStream', type: 'message', role: 'assistant', content: [], model: `${model}-20251001`, stop_reason: null, stop_sequence: null, usage: { ...ANTHROPIC_USAGE, output_tokens: 1 } },
  });
  await send('ping', {});
  for (const [index, block] of content.entries()) {
    if (block.type === 'text') {
      await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of block.text.match(/.{1,5}/g) ?? []) await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else if (block.type === 'thinking') {
      await send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of block.thinking.match(/.{1,8}/g) ?? []) await send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      await send('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } });
    } else {
      await send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of json.match(/.{1,7}/g) ?? []) await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    await send('content_block_stop', { index });
  }
  const stopReason = content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  await send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage });
  await send('message_stop', {});
  response.end();
}

function anthropicError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { type: 'error', error: { type, message }, request_id: 'req_mock_error' });
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'request-id': 'req_mock', 'anthropic-organization-id': 'org-secret' });
  response.end(text);
}
