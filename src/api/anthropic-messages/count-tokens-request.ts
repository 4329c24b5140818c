import { z } from 'zod';
import { promptFields } from './messages-request.js';

/**
 * The body of `POST /v1/messages/count_tokens` (SDK `MessageCountTokensParams`,
 * https://docs.claude.com/en/api/messages-count-tokens): the prompt-shaping fields of a
 * create request (model, messages, system, tools, tool_choice, thinking, output_config,
 * cache_control, speed) and nothing about generation. Fields of a create request that are
 * not listed (max_tokens, stream...) pass like any unknown field, for the target to judge:
 * clients that reuse their create body for counting must not be refused by the gateway
 * for what the provider may accept.
 */
export const countTokensRequestSchema = z.looseObject(promptFields);

export type CountTokensRequest = z.infer<typeof countTokensRequestSchema>;
