import { GatewayError } from '../errors.js';
import type { ClientFormat, EndpointLocation } from './endpoint.js';

/** What a request's method and path lead to: an endpoint, or the refusal to send (in the format its client speaks). */
export type EndpointMatch<E extends EndpointLocation = EndpointLocation> = { endpoint: E; refusal?: undefined } | { endpoint?: undefined; refusal: GatewayError; clientFormat: ClientFormat };

/**
 * (method, path) -> endpoint, and the one place 404 and 405 are decided (after Envoy AI
 * Gateway's server.Register). Paths are matched exactly, with a trailing slash ignored and
 * with or without the `/v1` prefix (SDKs configured with a bare base URL leave it out).
 * A client of Anthropic's API (paths under /v1/messages) is refused in Anthropic's format.
 */
export class EndpointRegistry<E extends EndpointLocation = EndpointLocation> {
  readonly #byPath = new Map<string, E[]>();
  /** Endpoints with a path parameter ("/v1/models/*"), by the prefix before it. */
  readonly #byPrefix: Array<[prefix: string, endpoint: E]> = [];
  readonly #served: string;

  constructor(endpoints: readonly E[]) {
    for (const endpoint of endpoints) {
      for (const path of endpoint.paths) {
        if (path.endsWith('/*')) {
          this.#byPrefix.push([path.slice(0, -1), endpoint]);
          continue;
        }
        const list = this.#byPath.get(path) ?? [];
        list.push(endpoint);
        this.#byPath.set(path, list);
      }
    }
    this.#served = endpoints.map((endpoint) => `${endpoint.method} ${endpoint.paths[0]}`).join(', ');
  }

  match(method: string, rawPath: string): EndpointMatch<E> {
    const path = normalize(rawPath);
    const candidates = this.#byPath.get(path) ?? this.#byPath.get(`/v1${path}`) ?? this.#withPrefix(path);
    const clientFormat = clientFormatOfPath(path);
    if (candidates === undefined) {
      return {
        clientFormat,
        refusal: new GatewayError({
          status: 404,
          code: 'unknown_url',
          type: 'invalid_request_error',
          message: `Unknown request URL: ${method} ${truncate(path)}. This gateway serves ${this.#served}.`,
        }),
      };
    }
    const endpoint = candidates.find((candidate) => candidate.method === method);
    if (endpoint !== undefined) return { endpoint };
    const allowed = [...new Set(candidates.map((candidate) => candidate.method))].join(', ');
    return {
      clientFormat,
      refusal: new GatewayError({
        status: 405,
        code: 'method_not_allowed',
        type: 'invalid_request_error',
        message: `${method} is not supported on ${truncate(path)}; use ${allowed}.`,
        headers: { allow: allowed },
      }),
    };
  }

  #withPrefix(path: string): E[] | undefined {
    const found = this.#byPrefix.filter(([prefix]) => path.startsWith(prefix) && path.length > prefix.length).map(([, endpoint]) => endpoint);
    return found.length > 0 ? found : undefined;
  }
}

/** The path without its query string and trailing slashes. */
function normalize(path: string): string {
  const withoutQuery = path.split('?')[0] ?? '';
  return withoutQuery.replace(/\/+$/, '') || '/';
}

/** Anthropic's SDKs call /v1/messages and below; every other client is taken for an OpenAI one. */
export function clientFormatOfPath(path: string): ClientFormat {
  return /^(\/v1)?\/messages(\/|$)/.test(path) ? 'anthropic' : 'openai';
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
