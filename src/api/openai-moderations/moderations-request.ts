import { z } from 'zod';

/** A text part or an image part of a multi-modal moderation input (openai-openapi `CreateModerationRequest.input`). */
const moderationPartSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('image_url'), image_url: z.strictObject({ url: z.string().min(1) }) }),
]);

/**
 * What may be classified: one text, texts, or text and image parts (OpenAI's omni models
 * take images). OpenAI refuses an empty array, as this does.
 */
export const moderationInputSchema = z.union([z.string(), z.array(z.string()).min(1), z.array(moderationPartSchema).min(1)], {
  error: 'one of a string, an array of strings or an array of text and image_url parts',
});

/**
 * POST /v1/moderations (openai-openapi `CreateModerationRequest`, platform.openai.com/docs/api-reference/moderations).
 * OpenAI makes `model` optional (omni-moderation-latest); the gateway routes by model, so it
 * is required here, as for every other endpoint. Other fields pass through.
 */
export const moderationsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: moderationInputSchema,
});

export type ModerationsRequest = z.infer<typeof moderationsRequestSchema>;

/** The texts of a moderation input, in order (image parts carry none). */
export function moderationTexts(input: ModerationsRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  return input.flatMap((item) => (typeof item === 'string' ? [item] : item.type === 'text' ? [item.text] : []));
}

/** The texts a provider classifies, joined for the tokenizer. */
export function moderationsPromptText(request: ModerationsRequest): string {
  return moderationTexts(request.input).join('\n');
}
