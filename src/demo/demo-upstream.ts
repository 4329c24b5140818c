import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A tiny OpenAI-compatible server that `make run` starts when no provider key is set, so the
 * gateway answers out of the box. It is labelled a demo in every answer: it repeats the
 * last user message back, streaming word by word, with usage counted as about four
 * characters per token. It is not a model.
 */
export const DEMO_MODEL = 'demo-echo';

export function createDemoUpstream(): Server {
  return createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: 'demo upstream failed', type: 'server_error', param: null, code: null } });
      else response.destroy();
    });
  });
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/v1/models') {
    sendJson(response, 200, { object: 'list', data: [{ id: DEMO_MODEL, object: 'model', created: 0, owned_by: 'llm-gateway-demo' }] });
    return;
  }
  if (request.method !== 'POST' || path !== '/v1/chat/completions') {
    sendJson(response, 404, { error: { message: `demo upstream: no route ${request.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    return;
  }
  let body: { messages?: { role?: string; content?: unknown }[]; stream?: boolean; stream_options?: { include_usage?: boolean }; model?: string };
  try {
    body = JSON.parse(await readBody(request));
  } catch {
    sendJson(response, 400, { error: { message: 'demo upstream: body is not JSON', type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    return;
  }
  const messages = body.messages ?? [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const said = textOf(lastUser?.content).trim();
  const reply = `[demo] This is llm-gateway's demo model, not a real LLM: set OPENAI_API_KEY (or another provider key) to use real models. You said: ${said || '(nothing)'}`;
  const promptTokens = Math.max(1, Math.ceil(messages.reduce((sum, message) => sum + textOf(message.content).length, 0) / 4));
  const pieces = reply.match(/\S+\s*/g) ?? [reply];
  const usage = { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length };
  const id = `chatcmpl-demo-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? DEMO_MODEL;
  if (!body.stream) {
    sendJson(response, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage,
    });
    return;
  }
  const includeUsage = body.stream_options?.include_usage === true;
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
  response.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
  for (const piece of pieces) {
    response.write(chunk({ content: piece }, null));
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  response.write(chunk({}, 'stop'));
  if (includeUsage) response.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
  response.end('data: [DONE]\n\n');
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : '')).join(' ');
  return '';
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
