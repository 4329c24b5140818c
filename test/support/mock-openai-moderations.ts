import type { ServerResponse } from 'node:http';

/**
 * OpenAI's POST /v1/moderations (platform.openai.com/docs/api-reference/moderations,
 * openai-openapi `createModeration`), as the mock provider answers it: `{model?, input}`
 * with input a string, strings, or text and image_url parts; answered `{id, model, results:
 * [{flagged, categories, category_scores, category_applied_input_types}]}`, one result per
 * input. `model` defaults to omni-moderation-latest; the legacy text-moderation models are
 * refused as OpenAI now refuses them ("please request omni-moderation-latest"), any other
 * model with OpenAI's recorded "Invalid value for 'model'" 400; a missing or empty input is
 * refused. The mock's classifier: `kill` or `attack` is violence, `idiot` harassment.
 */
export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

const OMNI_MODELS = new Set(['omni-moderation-latest', 'omni-moderation-2024-09-26']);
const LEGACY_MODELS = new Set(['text-moderation-latest', 'text-moderation-stable', 'text-moderation-007']);

/** The categories the mock finds in a text. */
export function mockModerationCategories(text: string): string[] {
  const found: string[] = [];
  if (/\b(kill|attack)\b/i.test(text)) found.push('violence');
  if (/\bidiot\b/i.test(text)) found.push('harassment');
  return found;
}

export function answerModerations(body: Record<string, unknown>, response: ServerResponse, requestId: string): void {
  const refuse = (message: string, param: string | null, code: string | null = null) =>
    send(response, 400, { error: { message, type: 'invalid_request_error', param, code } }, requestId);
  const model = body.model === undefined ? 'omni-moderation-latest' : body.model;
  if (typeof model !== 'string' || (!OMNI_MODELS.has(model) && !LEGACY_MODELS.has(model))) {
    refuse(`Invalid value for 'model' = ${String(model)}. Please check the OpenAI documentation and try again.`, 'model');
    return;
  }
  if (LEGACY_MODELS.has(model)) {
    refuse('please request omni-moderation-latest', 'model');
    return;
  }
  const input = body.input;
  if (input === undefined) {
    refuse("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
    return;
  }
  type Item = { texts: string[]; image: boolean };
  const items: Item[] | undefined =
    typeof input === 'string'
      ? [{ texts: [input], image: false }]
      : Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')
        ? (input as string[]).map((text) => ({ texts: [text], image: false }))
        : Array.isArray(input) && input.length > 0 && input.every((part) => isPart(part))
          ? // Multi-modal parts are one input: one result for all of them.
            [{ texts: (input as { type: string; text?: string }[]).flatMap((part) => (part.type === 'text' ? [part.text!] : [])), image: input.some((part) => (part as { type: string }).type === 'image_url') }]
          : undefined;
  if (items === undefined) {
    refuse("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
    return;
  }
  const results = items.map((item) => {
    const found = new Set(mockModerationCategories(item.texts.join('\n')));
    const categories = Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, found.has(name)]));
    const scores = Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, found.has(name) ? 0.93 : 0.00012]));
    const applied = Object.fromEntries(MODERATION_CATEGORIES.map((name) => [name, item.image && (name.startsWith('violence') || name.startsWith('self-harm') || name === 'sexual') ? ['text', 'image'] : ['text']]));
    return { flagged: found.size > 0, categories, category_scores: scores, category_applied_input_types: applied };
  });
  send(response, 200, { id: `modr-${requestId.slice(4, 12)}`, model: model === 'omni-moderation-latest' ? 'omni-moderation-2024-09-26' : model, results }, requestId);
}

function isPart(part: unknown): boolean {
  if (typeof part !== 'object' || part === null) return false;
  const { type, text, image_url: image } = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } };
  return (type === 'text' && typeof text === 'string') || (type === 'image_url' && typeof image?.url === 'string');
}

function send(response: ServerResponse, status: number, payload: unknown, requestId: string): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': requestId });
  response.end(body);
}
