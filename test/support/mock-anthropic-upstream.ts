import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/**
 * A stand-in for Anthropic's Messages API (POST /v1/messages), faithful to its documented
 * wire format (docs.claude.com/en/api/messages, .../messages-streaming, .../errors). It
 * refuses what the real API refuses (missing max_tokens or anthropic-version, a system
 * role inside messages, turns that do not alternate, a tool_result without its tool_use),
 * records what arrived, and answers: a tool call when tools are offered and the last user
 * turn asks for the weather, a sentence using the tool result when one comes back, and an
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
  close(): Promise<void>;
}

export const ANTHROPIC_USAGE = { input_tokens: 21, cache_creation_input_tokens: 4, cache_read_input_tokens: 8, output_tokens: 9 };

export async function startMockAnthropicUpstream(options: { expectedKey: string }): Promise<MockAnthropicUpstream> {
  const requests: AnthropicRecordedRequest[] = [];
  const problems: string[] = [];
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
      const problem = validate(incoming.url ?? '', incoming.headers, body);
      if (problem) {
        problems.push(problem);
        return anthropicError(response, 400, 'invalid_request_error', problem);
      }
      const content = answer(body);
      if (body.stream === true) return stream(response, body.model, content);
      const json = {
        id: 'msg_01MockNonStream',
        type: 'message',
        role: 'assistant',
        model: `${body.model}-20251001`,
        content,
        stop_reason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: ANTHROPIC_USAGE,
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
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function validate(path: string, headers: IncomingHttpHeaders, body: any): string | undefined {
  if (path !== '/v1/messages') return `unexpected path ${path}`;
  if (headers['anthropic-version'] !== '2023-06-01') return 'anthropic-version header: expected 2023-06-01';
  if (!String(headers['content-type']).startsWith('application/json')) return 'content-type must be application/json';
  if (headers.authorization) return 'an Authorization header reached Anthropic';
  if (body === undefined || typeof body !== 'object') return 'body is not JSON';
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(body.max_tokens)) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: expected string or text blocks';
  const toolUseIds = new Set<string>();
  let previousRole: string | undefined;
  for (const [index, message] of body.messages.entries()) {
    if (message.role !== 'user' && message.role !== 'assistant') return `messages.${index}.role: Input should be 'user' or 'assistant'`;
    if (message.role === previousRole) return `messages.${index}: roles must alternate between "user" and "assistant"`;
    if (index === 0 && message.role !== 'user') return 'messages.0: first message must use the "user" role';
    previousRole = message.role;
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (!Array.isArray(blocks)) return `messages.${index}.content: expected string or blocks`;
    for (const block of blocks) {
      if (block.type === 'tool_use') {
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || typeof block.input !== 'object') return `messages.${index}: malformed tool_use`;
        toolUseIds.add(block.id);
      } else if (block.type === 'tool_result') {
        if (!toolUseIds.has(block.tool_use_id)) return `messages.${index}: tool_result ${block.tool_use_id} has no matching tool_use`;
      } else if (block.type === 'image') {
        if (block.source?.type !== 'base64' && block.source?.type !== 'url') return `messages.${index}: image source`;
      } else if (block.type !== 'text') {
        return `messages.${index}: unexpected block type ${block.type}`;
      }
    }
  }
  if (body.tools !== undefined) {
    for (const tool of body.tools) if (typeof tool.name !== 'string' || typeof tool.input_schema !== 'object') return 'tools: each tool needs name and input_schema';
  }
  return undefined;
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
  if (body.tools?.length && /weather/i.test(text)) {
    return [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_01Mock', name: body.tools[0].name, input: { city: 'Paris', unit: 'celsius' } },
    ];
  }
  return [{ type: 'text', text: `Echo: ${text}` }];
}

async function stream(response: ServerResponse, model: string, content: any[]): Promise<void> {
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
    } else {
      await send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const piece of json.match(/.{1,7}/g) ?? []) await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    await send('content_block_stop', { index });
  }
  const stopReason = content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn';
  await send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: ANTHROPIC_USAGE });
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
