/**
 * The answer to `POST /v1/messages/count_tokens`: `{"input_tokens": n}`, the prompt's whole
 * size in tokens (SDK `MessageTokensCount`, https://docs.claude.com/en/api/messages-count-tokens).
 */
export interface CountTokensResponse {
  input_tokens: number;
}

export function writeCountTokensResponse(inputTokens: number): CountTokensResponse {
  return { input_tokens: inputTokens };
}
