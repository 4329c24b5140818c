import type { ModerationsRequest } from '../../api/openai-moderations/moderations-request.js';
import type { AttemptTarget, UpstreamRequest } from '../provider-adapter.js';

/**
 * The POST {base}/moderations request for OpenAI and servers that speak its moderations API
 * (openai-openapi `createModeration`): the client's body with the target's model name.
 */
export function buildOpenAIModerationsRequest(request: ModerationsRequest, target: AttemptTarget): UpstreamRequest {
  const body = { ...request, model: target.model };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.credential !== undefined) headers.authorization = `Bearer ${target.credential}`;
  return { path: `${target.pathPrefix}/moderations`, headers, body: Buffer.from(JSON.stringify(body)) };
}
