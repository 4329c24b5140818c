import { z } from 'zod';

/**
 * What the Gemini API (generativelanguage v1beta) answers, read leniently: unknown fields
 * pass, and every optional field also tolerates null, so a field Google adds or a value it
 * starts to send as null never breaks the gateway. Only what the gateway reads is named.
 * Reference: https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 * (googleapis/js-genai src/types.ts `GenerateContentResponse`).
 */

const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/** https://ai.google.dev/api/caching#FunctionCall; `id` is absent on most recorded traffic. */
export const geminiFunctionCallSchema = z.looseObject({
  name: z.string(),
  args: optional(z.record(z.string(), z.unknown())),
  id: optional(z.string()),
});

/**
 * One part; Gemini sets exactly one data field per part, but the schema reads every field
 * as optional rather than as a union, so an unknown part kind is simply not recognised.
 * `thought: true` marks a thought summary (only sent when includeThoughts is asked for).
 */
export const geminiPartSchema = z.looseObject({
  text: optional(z.string()),
  thought: optional(z.boolean()),
  thoughtSignature: optional(z.string()),
  functionCall: optional(geminiFunctionCallSchema),
});

export const geminiContentSchema = z.looseObject({
  role: optional(z.string()),
  parts: optional(z.array(geminiPartSchema)),
});

/** https://ai.google.dev/api/generate-content#LogprobsResult */
const geminiLogprobsCandidateSchema = z.looseObject({
  token: optional(z.string()),
  tokenId: optional(z.number()),
  logProbability: optional(z.number()),
});

export const geminiLogprobsResultSchema = z.looseObject({
  topCandidates: optional(z.array(z.looseObject({ candidates: optional(z.array(geminiLogprobsCandidateSchema)) }))),
  chosenCandidates: optional(z.array(geminiLogprobsCandidateSchema)),
});

export const geminiCandidateSchema = z.looseObject({
  content: optional(geminiContentSchema),
  finishReason: optional(z.string()),
  index: optional(z.number()),
  logprobsResult: optional(geminiLogprobsResultSchema),
});

/**
 * Token counts (https://ai.google.dev/api/generate-content#UsageMetadata):
 * promptTokenCount includes cachedContentTokenCount; candidatesTokenCount excludes
 * thoughtsTokenCount. In a stream every chunk carries the running totals.
 */
export const geminiUsageMetadataSchema = z.looseObject({
  promptTokenCount: optional(z.number()),
  candidatesTokenCount: optional(z.number()),
  thoughtsTokenCount: optional(z.number()),
  toolUsePromptTokenCount: optional(z.number()),
  cachedContentTokenCount: optional(z.number()),
  totalTokenCount: optional(z.number()),
});

/** Set instead of candidates when the prompt itself was blocked. */
export const geminiPromptFeedbackSchema = z.looseObject({
  blockReason: optional(z.string()),
});

export const generateContentResponseSchema = z.looseObject({
  candidates: optional(z.array(geminiCandidateSchema)),
  promptFeedback: optional(geminiPromptFeedbackSchema),
  usageMetadata: optional(geminiUsageMetadataSchema),
  modelVersion: optional(z.string()),
  responseId: optional(z.string()),
});

/**
 * Google's error body (https://ai.google.dev/gemini-api/docs/troubleshooting, google.rpc.Status):
 * `{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34.4s"}]}}`.
 * An OpenAI error carries `type`, which is how the two shapes are told apart.
 */
export const geminiErrorSchema = z.looseObject({
  code: optional(z.number()),
  message: z.string(),
  status: optional(z.string()),
  details: optional(z.array(z.unknown())),
});

export const geminiErrorBodySchema = z.looseObject({ error: geminiErrorSchema });

export type GeminiFunctionCall = z.infer<typeof geminiFunctionCallSchema>;
export type GeminiPart = z.infer<typeof geminiPartSchema>;
export type GeminiCandidate = z.infer<typeof geminiCandidateSchema>;
export type GeminiLogprobsResult = z.infer<typeof geminiLogprobsResultSchema>;
export type GeminiUsageMetadata = z.infer<typeof geminiUsageMetadataSchema>;
export type GenerateContentResponse = z.infer<typeof generateContentResponseSchema>;
export type GeminiError = z.infer<typeof geminiErrorSchema>;
