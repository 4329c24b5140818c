import type { EmbeddingsRequest } from '../../api/openai-embeddings/embeddings-request.js';
import { GatewayError } from '../../errors.js';
import type { AttemptTarget, UpstreamRequest } from '../provider-adapter.js';

/**
 * Models known to embed at a fixed size: OpenAI answers `dimensions` on them with a 400
 * ("This model does not support specifying dimensions."), so the gateway refuses it first.
 * OpenAI's text-embedding-3 models take it; OpenAI-compatible servers (vLLM, TEI, Ollama)
 * decide for themselves and answer in OpenAI's error format when they cannot.
 */
const FIXED_DIMENSION_MODELS = /^text-embedding-ada-002/;

/**
 * The POST {base}/embeddings request for OpenAI and the servers that speak its embeddings
 * API (openai-openapi `createEmbedding`): the client's body with the target's model name.
 * `encoding_format` is sent as the client asked, so base64 vectors pass through untouched.
 * Throws a GatewayError (400, param `dimensions`) for a model with a fixed size.
 */
export function buildOpenAIEmbeddingsRequest(request: EmbeddingsRequest, target: AttemptTarget): UpstreamRequest {
  refuseFixedDimensions(request, target.model);
  const body = { ...request, model: target.model };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.credential !== undefined) headers.authorization = `Bearer ${target.credential}`;
  return { path: `${target.pathPrefix}/embeddings`, headers, body: Buffer.from(JSON.stringify(body)) };
}

/**
 * Azure OpenAI's embeddings: the v1 API (`{base}/embeddings`, deployment as `model`) or,
 * with `api_version`, the deployment path `{base}/deployments/{deployment}/embeddings?api-version=…`;
 * the key in `api-key` (learn.microsoft.com/azure/ai-foundry/openai/reference).
 */
export function buildAzureOpenAIEmbeddingsRequest(request: EmbeddingsRequest, target: AttemptTarget): UpstreamRequest {
  const openAI = buildOpenAIEmbeddingsRequest(request, { ...target, credential: undefined });
  const headers: Record<string, string> = { ...openAI.headers };
  if (target.credential !== undefined) headers['api-key'] = target.credential;
  const path =
    target.apiVersion === undefined
      ? openAI.path
      : `${target.pathPrefix}/deployments/${encodeURIComponent(target.model)}/embeddings?api-version=${encodeURIComponent(target.apiVersion)}`;
  return { ...openAI, path, headers };
}

function refuseFixedDimensions(request: EmbeddingsRequest, model: string): void {
  if (request.dimensions === undefined || !FIXED_DIMENSION_MODELS.test(model)) return;
  throw new GatewayError({
    status: 400,
    code: 'unsupported_parameter',
    type: 'invalid_request_error',
    param: 'dimensions',
    message: `Unsupported parameter: 'dimensions' is not supported by ${model}, which embeds at a fixed size. Leave it out, or use a text-embedding-3 model.`,
  });
}
