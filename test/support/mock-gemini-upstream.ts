import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/**
 * A stand-in for the Gemini API (generativelanguage v1beta), faithful to its documented
 * wire format (ai.google.dev/api/generate-content): `models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`, key in x-goog-api-key, camelCase JSON, cumulative
 * usageMetadata on every stream chunk and no [DONE]. It refuses what the real API
 * refuses (a "system" or "assistant" role, a functionResponse without a name, empty
 * contents) and answers like the Anthropic mock: a function call for weather questions
 * when tools are offered, a sentence using a function response, an echo otherwise.
 */
export interface GeminiRecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface MockGeminiUpstream {
  readonly port: number;
  readonly requests: GeminiRecordedRequest[];
  readonly problems: string[];
  close(): Promise<void>;
}

export const GEMINI_USAGE = { promptTokenCount: 30, candidatesTokenCount: 12, thoughtsTokenCount: 5, cachedContentTokenCount: 10, totalTokenCount: 47 };

export async function startMockGeminiUpstream(options: { expectedKey: string }): Promise<MockGeminiUpstream> {
  const requests: GeminiRecordedRequest[] = [];
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
      const path = incoming.url ?? '';
      requests.push({ path, headers: incoming.headers, body });
      if (incoming.headers['x-goog-api-key'] !== options.expectedKey) {
        return geminiError(response, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
      }
      const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent\?alt=sse)$/.exec(path);
      const problem = match ? validate(incoming.headers, body) : `unexpected path ${path}`;
      if (problem) {
        problems.push(problem);
        return geminiError(response, 400, 'INVALID_ARGUMENT', problem);
      }
      const model = decodeURIComponent(match![1]!);
      const parts = answer(body);
      if (match![2] === 'generateContent') {
        return sendJson(response, 200, { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: GEMINI_USAGE, modelVersion: `${model}-001`, responseId: 'resp-mock' });
      }
      void stream(response, model, parts);
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

function validate(headers: IncomingHttpHeaders, body: any): string | undefined {
  if (headers.authorization) return 'an Authorization header reached Gemini';
  if (!String(headers['content-type']).startsWith('application/json')) return 'content-type must be application/json';
  if (body === undefined || !Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  if (body.model !== undefined) return 'Invalid JSON payload received. Unknown name "model"';
  for (const [index, content] of body.contents.entries()) {
    if (content.role !== 'user' && content.role !== 'model') return `* GenerateContentRequest.contents[${index}].role: Please use a valid role: user, model.`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.`;
    for (const part of content.parts) {
      if (part.functionResponse && typeof part.functionResponse.name !== 'string') return `* GenerateContentRequest.contents[${index}].parts.function_response.name: Name cannot be empty.`;
      if (part.functionCall && typeof part.functionCall.name !== 'string') return `contents[${index}]: functionCall.name required`;
    }
  }
  if (body.systemInstruction !== undefined && !Array.isArray(body.systemInstruction.parts)) return 'systemInstruction.parts required';
  return undefined;
}

function answer(body: any): any[] {
  const last = body.contents.at(-1);
  const response = last.parts.find((part: any) => part.functionResponse);
  if (response) return [{ text: `The weather is ${JSON.stringify(response.functionResponse.response)}.` }];
  const text = last.parts.filter((part: any) => typeof part.text === 'string').map((part: any) => part.text).join(' ');
  const declarations = body.tools?.[0]?.functionDeclarations;
  if (declarations?.length && /weather/i.test(text)) return [{ functionCall: { name: declarations[0].name, args: { city: 'Paris', unit: 'celsius' } } }];
  return [{ text: `Echo: ${text}` }];
}

async function stream(response: ServerResponse, model: string, parts: any[]): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const pieces = parts.flatMap((part) => (typeof part.text === 'string' ? (part.text.match(/.{1,6}/g) ?? []).map((text: string) => ({ text })) : [part]));
  for (const [index, piece] of pieces.entries()) {
    const last = index === pieces.length - 1;
    const usage = last ? GEMINI_USAGE : { promptTokenCount: GEMINI_USAGE.promptTokenCount, candidatesTokenCount: index + 1, totalTokenCount: GEMINI_USAGE.promptTokenCount + index + 1 };
    const candidate: Record<string, unknown> = { content: { role: 'model', parts: [piece] }, index: 0 };
    if (last) candidate.finishReason = 'STOP';
    response.write(`data: ${JSON.stringify({ candidates: [candidate], usageMetadata: usage, modelVersion: `${model}-001`, responseId: 'resp-mock' })}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  response.end();
}

function geminiError(response: ServerResponse, code: number, status: string, message: string): void {
  sendJson(response, code, { error: { code, message, status } });
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}
