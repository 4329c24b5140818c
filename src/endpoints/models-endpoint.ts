import type { EndpointLocation } from './endpoint.js';

/**
 * GET /v1/models and /v1/models/{model} (openai-openapi `listModels`, `retrieveModel`): the
 * models a caller may use. Answered by the gateway itself, so only its location is declared.
 */
export const modelsEndpoint: EndpointLocation = {
  name: 'models',
  method: 'GET',
  paths: ['/v1/models', '/v1/models/*'],
  clientFormat: 'openai',
};
