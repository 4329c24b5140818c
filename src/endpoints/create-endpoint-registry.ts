import { chatCompletionsEndpoint } from './chat-completions-endpoint.js';
import { countTokensEndpoint } from './count-tokens-endpoint.js';
import { embeddingsEndpoint } from './embeddings-endpoint.js';
import type { AnyEndpoint, EndpointLocation } from './endpoint.js';
import { EndpointRegistry } from './endpoint-registry.js';
import { messagesEndpoint } from './messages-endpoint.js';
import { modelsEndpoint } from './models-endpoint.js';
import { moderationsEndpoint } from './moderations-endpoint.js';

/** What a request can be for: an endpoint forwarded to providers, or one the gateway answers itself (GET /v1/models). */
export type RoutedEndpoint = AnyEndpoint | EndpointLocation;

/** Whether the endpoint's requests go to a provider (it builds their upstream requests). */
export function isForwarded(endpoint: RoutedEndpoint): endpoint is AnyEndpoint {
  return 'buildUpstream' in endpoint;
}

/** The gateway's API, in the order its 404 lists it. */
const ENDPOINTS: readonly RoutedEndpoint[] = [chatCompletionsEndpoint, modelsEndpoint, messagesEndpoint, countTokensEndpoint, embeddingsEndpoint, moderationsEndpoint];

export function createEndpointRegistry(): EndpointRegistry<RoutedEndpoint> {
  return new EndpointRegistry<RoutedEndpoint>(ENDPOINTS);
}

/** The endpoints forwarded to providers, by name: the attempt processor finds a request's endpoint by the name in its brief. */
export function forwardedEndpointsByName(): ReadonlyMap<string, AnyEndpoint> {
  return new Map(ENDPOINTS.filter(isForwarded).map((endpoint): [string, AnyEndpoint] => [endpoint.name, endpoint]));
}
