import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/**
 * A stand-in for the Gemini API (generativelanguage v1beta), faithful to its documented
 * wire format (ai.google.dev/api/generate-content): `models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`, key in x-goog-api-key, camelCase JSON, cumulative
 * usageMetadata on every stream chunk and no [DONE]. It refuses what the real API
 * refuses (a "system" or "assistant" role, a functionResponse without a name, empty
 * contents, parts or text, function names outside Gemini's rule, a function call turn that
 * follows no user turn, function responses that do not match the calls before them, and
 * thinking settings the model does not take) and answers like the Anthropic mock: a function
 * call for weather questions when tools are offered, a sentence using a function response,
 * an echo otherwise. It thinks unless thinkingBudget is 0, and sends its thought summary
 * first when includeThoughts asks for it.
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

export const GEMINI_USAGE = { promptTokenCount: 30, candidatesTokenCount: 12, thoughtsTokenCount: 5, cachedContentTokenCount: 10, totalTokenCount: 47 };

export async function startMockGeminiUpstream(options: { expectedKey: string }): Promise<MockGeminiUpstream> {
  const requests: GeminiRecordedRequest[] = [];
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
      const path = incoming.url ?? '';
      requests.push({ path, headers: incoming.headers, body });
      if (incoming.headers['x-goog-api-key'] !== options.expectedKey) {
        return geminiError(response, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.');
      }
      const failure = failures.shift();
      if (failure !== undefined) {
        response.writeHead(failure.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(failure.body)), ...failure.headers });
        return response.end(failure.body);
      }
      const embedding = /^\/v1beta\/models\/([^/:]+):(embedContent|batchEmbedContents)$/.exec(path);
      if (embedding) return answerEmbeddings(response, decodeURIComponent(embedding[1]!), embedding[2] === 'batchEmbedContents', incoming.headers, body, problems);
      const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent\?alt=sse)$/.exec(path);
      const problem = match ? validate(incoming.headers, body) : `unexpected path ${path}`;
      if (problem) {
        problems.push(problem);
        return geminiError(response, 400, 'INVALID_ARGUMENT', problem);
      }
      const model = decodeURIComponent(match![1]!);
      const thinkingProblem = validateThinking(model, body.generationConfig?.thinkingConfig);
      if (thinkingProblem) {
        problems.push(thinkingProblem);
        return geminiError(response, 400, 'INVALID_ARGUMENT', thinkingProblem);
      }
      const parts = answer(body);
      const thinkingConfig = body.generationConfig?.thinkingConfig;
      if (thinkingConfig?.includeThoughts === true) parts.unshift({ text: `Thinking about: ${lastUserText(body)}`, thought: true });
      // Thinking off: no thought tokens, as on the real API with thinkingBudget 0.
      const usage =
        thinkingConfig?.thinkingBudget === 0 ? { ...GEMINI_USAGE, thoughtsTokenCount: 0, totalTokenCount: GEMINI_USAGE.totalTokenCount - GEMINI_USAGE.thoughtsTokenCount } : GEMINI_USAGE;
      if (match![2] === 'generateContent') {
        return sendJson(response, 200, { candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: usage, modelVersion: `${model}-001`, responseId: 'resp-mock' });
      }
      void stream(response, model, parts, usage);
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

/** https://ai.google.dev/api/caching#FunctionDeclaration */
const FUNCTION_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$/;

function validate(headers: IncomingHttpHeaders, body: any): string | undefined {
  if (headers.authorization) return 'an Authorization header reached Gemini';
  if (!String(headers['content-type']).startsWith('application/json')) return 'content-type must be application/json';
  if (body === undefined || !Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  if (body.model !== undefined) return 'Invalid JSON payload received. Unknown name "model"';
  let previous: any;
  for (const [index, content] of body.contents.entries()) {
    if (content.role !== 'user' && content.role !== 'model') return `* GenerateContentRequest.contents[${index}].role: Please use a valid role: user, model.`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.`;
    const calls = content.parts.filter((part: any) => part.functionCall).length;
    const responses = content.parts.filter((part: any) => part.functionResponse).length;
    if (calls > 0 && previous?.role !== 'user') {
      return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
    }
    if (responses > 0) {
      const asked = previous?.role === 'model' ? previous.parts.filter((part: any) => part.functionCall).length : 0;
      if (asked !== responses) return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
    }
    for (const part of content.parts) {
      if (typeof part.text === 'string' && part.text === '') return 'Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.';
      if (part.functionResponse && typeof part.functionResponse.name !== 'string') return `* GenerateContentRequest.contents[${index}].parts.function_response.name: Name cannot be empty.`;
      if (part.functionCall && typeof part.functionCall.name !== 'string') return `contents[${index}]: functionCall.name required`;
      const name = part.functionCall?.name ?? part.functionResponse?.name;
      if (name !== undefined && !FUNCTION_NAME.test(name)) return `* GenerateContentRequest.contents[${index}]: Invalid function name. Must start with a letter or an underscore.`;
    }
    previous = content;
  }
  if (body.systemInstruction !== undefined && !Array.isArray(body.systemInstruction.parts)) return 'systemInstruction.parts required';
  for (const declaration of body.tools?.[0]?.functionDeclarations ?? []) {
    if (!FUNCTION_NAME.test(declaration.name)) return `* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 128.`;
  }
  for (const name of body.toolConfig?.functionCallingConfig?.allowedFunctionNames ?? []) {
    if (!FUNCTION_NAME.test(name)) return '* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: Invalid function name.';
  }
  return undefined;
}

/** What the thinking page says each model takes (ai.google.dev/gemini-api/docs/thinking). */
function validateThinking(model: string, config: any): string | undefined {
  if (config === undefined) return undefined;
  if (config.thinkingBudget !== undefined && config.thinkingLevel !== undefined) return 'thinking_budget and thinking_level are not supported together.';
  const budget = config.thinkingBudget;
  if (/gemini-2\.5/.test(model)) {
    if (config.thinkingLevel !== undefined) return 'Thinking level is not supported for this model.';
    if (budget === undefined || budget === -1) return undefined;
    if (/gemini-2\.5-pro/.test(model) && budget === 0) return 'Budget 0 is invalid. This model only works in thinking mode.';
    const [min, max] = /gemini-2\.5-pro/.test(model) ? [128, 32768] : /flash-lite/.test(model) ? [512, 24576] : [0, 24576];
    if (budget !== 0 && (budget < min || budget > max)) return `The thinking budget ${budget} is invalid. Please choose a value between ${min} and ${max}.`;
    return undefined;
  }
  if (/gemini-3(\.0)?-pro/.test(model) && config.thinkingLevel !== undefined && !['LOW', 'HIGH'].includes(config.thinkingLevel)) {
    return `Thinking level ${config.thinkingLevel} is not supported for this model. Please retry with other thinking level`;
  }
  return undefined;
}

function lastUserText(body: any): string {
  return body.contents.at(-1).parts.filter((part: any) => typeof part.text === 'string').map((part: any) => part.text).join(' ');
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

async function stream(response: ServerResponse, model: string, parts: any[], finalUsage: Record<string, number>): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const pieces = parts.flatMap((part) =>
    typeof part.text === 'string' ? (part.text.match(/.{1,6}/g) ?? []).map((text: string) => (part.thought ? { text, thought: true } : { text })) : [part],
  );
  for (const [index, piece] of pieces.entries()) {
    const last = index === pieces.length - 1;
    const usage = last ? finalUsage : { promptTokenCount: GEMINI_USAGE.promptTokenCount, candidatesTokenCount: index + 1, totalTokenCount: GEMINI_USAGE.promptTokenCount + index + 1 };
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

/** gemini-embedding-001's default size (ai.google.dev/gemini-api/docs/embeddings). */
export const GEMINI_EMBEDDING_SIZE = 3072;

/** A deterministic vector for a text, so a test can compare what the client decoded with what Gemini sent. */
export function geminiMockEmbedding(text: string, size = GEMINI_EMBEDDING_SIZE): number[] {
  const seed = [...Buffer.from(text, 'utf8')].reduce((sum, byte) => sum + byte, 0);
  return Array.from({ length: size }, (_, index) => Math.fround(Math.cos(seed + index) / 3));
}

const EMBED_FIELDS = new Set(['content', 'taskType', 'title', 'outputDimensionality']);

/**
 * models.embedContent and models.batchEmbedContents (https://ai.google.dev/api/embeddings):
 * `{content:{parts:[{text}]}, outputDimensionality?}`, or `{requests:[...]}` of those, each
 * naming the model of the path; at most 100 per batch. Answers `{embedding:{values}}` or
 * `{embeddings:[{values}]}` and, like the real API, no usage. Refused as Gemini refuses:
 * unknown fields (OpenAI's `input`, `encoding_format`, `dimensions`), empty text, a batch
 * request for another model, more than 100 requests, a size outside 1..3072.
 */
function answerEmbeddings(response: ServerResponse, model: string, batch: boolean, headers: IncomingHttpHeaders, body: any, problems: string[]): void {
  const refuse = (problem: string) => {
    problems.push(problem);
    geminiError(response, 400, 'INVALID_ARGUMENT', problem);
  };
  if (headers.authorization) {
    refuse('an Authorization header reached Gemini');
    return;
  }
  if (body === undefined || typeof body !== 'object') {
    refuse('Invalid JSON payload received.');
    return;
  }
  const check = (request: any, where: string, inBatch: boolean): string | undefined => {
    for (const field of Object.keys(request)) {
      if (!EMBED_FIELDS.has(field) && !(inBatch && field === 'model')) return `Invalid JSON payload received. Unknown name "${field}" at '${where}': Cannot find field.`;
    }
    if (inBatch && request.model !== `models/${model}`) return `* BatchEmbedContentsRequest.model: Model in the request (${String(request.model)}) does not match the model of the batch (models/${model}).`;
    const parts = request.content?.parts;
    if (!Array.isArray(parts) || parts.length === 0) return `* ${where}.content: contents is not specified`;
    if (parts.some((part: any) => typeof part.text !== 'string' || part.text === '')) return 'Unable to submit request because it has an empty text parameter.';
    const size = request.outputDimensionality;
    if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > GEMINI_EMBEDDING_SIZE)) return `* ${where}.output_dimensionality: must be between 1 and ${GEMINI_EMBEDDING_SIZE}.`;
    return undefined;
  };
  const vector = (request: any) => ({ values: geminiMockEmbedding(request.content.parts.map((part: any) => part.text).join(''), request.outputDimensionality ?? GEMINI_EMBEDDING_SIZE) });
  if (!batch) {
    const problem = check(body, 'EmbedContentRequest', false);
    if (problem) {
      refuse(problem);
      return;
    }
    sendJson(response, 200, { embedding: vector(body) });
    return;
  }
  const requests = body.requests;
  if (Object.keys(body).some((field) => field !== 'requests')) {
    refuse(`Invalid JSON payload received. Unknown name "${Object.keys(body).find((field) => field !== 'requests')}": Cannot find field.`);
    return;
  }
  if (!Array.isArray(requests) || requests.length === 0) {
    refuse('* BatchEmbedContentsRequest.requests: requests is not specified');
    return;
  }
  if (requests.length > 100) {
    refuse('* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch');
    return;
  }
  for (const [index, request] of requests.entries()) {
    const problem = check(request, `BatchEmbedContentsRequest.requests[${index}]`, true);
    if (problem) {
      refuse(problem);
      return;
    }
  }
  sendJson(response, 200, { embeddings: requests.map(vector) });
}
