/**
 * The names Envoy and the sidecar share. The renderer (render-envoy.ts) writes them into the
 * bootstrap and the processors (src/extproc) read or write them at run time; both import them
 * from here and nowhere else, so a rename cannot leave one side behind
 * (.dependency-cruiser.cjs forbids src/extproc from importing the renderer).
 */

/** The header the router-level processor writes; the route's cluster_header reads it. */
export const ROUTE_HEADER = 'x-gateway-route';

/** Endpoint metadata namespace (and dynamic metadata namespace the processors write to). */
export const METADATA_NAMESPACE = 'llm_gateway';
/** Endpoint metadata key naming the target an attempt goes to (its value is the target id). */
export const TARGET_METADATA_KEY = 'target';
/** Dynamic metadata key carrying the translated body's length to the header_mutation upstream filter. */
export const CONTENT_LENGTH_METADATA_KEY = 'content_length';
/** Dynamic metadata key carrying the gateway's request id from the router processor to the attempt processor and access log. */
export const REQUEST_ID_METADATA_KEY = 'request_id';

/**
 * Dynamic metadata keys of the attempt brief (gateway/attempt-brief.ts): what the router processor
 * tells every attempt of a model with several targets, so that the attempt processor, which may
 * run in another sidecar process, needs nothing from the router's memory.
 */
export const BRIEF_METADATA_KEYS = {
  /** The model alias asked for (pause metrics, logs). */
  model: 'model',
  /** The endpoint's name: which endpoint's translation builds the provider request. */
  endpoint: 'endpoint',
  /** The route's target ids, space-separated: whether every target is now paused. */
  targets: 'targets',
  /** JSON object target id -> reason code, for targets that cannot serve this request. */
  skipped: 'skipped',
  /** JSON array of [target id, wall-clock ms] per attempt written so far, written by the attempt processor. */
  tried: 'tried',
} as const;

/** The CEL attribute naming one key of this gateway's dynamic metadata. */
export function metadataAttribute(key: string): string {
  return `metadata.filter_metadata['${METADATA_NAMESPACE}']['${key}']`;
}

/** The attributes the attempt processor asks Envoy for with each attempt: the brief and the attempts before it. */
export const BRIEF_ATTRIBUTES: readonly string[] = Object.values(BRIEF_METADATA_KEYS).map(metadataAttribute);
/** The attribute the router processor asks for with the answer: which targets were tried, the last one answering. */
export const TRIED_ATTRIBUTE = metadataAttribute(BRIEF_METADATA_KEYS.tried);

/** The CEL attribute the attempt processor asks Envoy for: the target of the host an attempt goes to. */
export const TARGET_ATTRIBUTE = `xds.upstream_host_metadata.filter_metadata['${METADATA_NAMESPACE}']['${TARGET_METADATA_KEY}']`;
/** The CEL attribute the attempt processor asks Envoy for: the request id the router processor wrote. */
export const REQUEST_ID_ATTRIBUTE = `metadata.filter_metadata['${METADATA_NAMESPACE}']['${REQUEST_ID_METADATA_KEY}']`;

/** gRPC initial metadata telling the sidecar which of the two ext_proc filters opened a stream. */
export const PHASE_METADATA_KEY = 'x-gateway-phase';
/**
 * The values of PHASE_METADATA_KEY: the HCM-level router filter, the per-attempt upstream filter,
 * or the observability-mode filter that reads pass-through answers without Envoy waiting.
 */
export type Phase = 'router' | 'attempt' | 'observer';

/**
 * Set by the router processor (value OBSERVE_HEADER_VALUE) on a request whose answer only needs
 * observing (sidecar.pass_through_observability_mode): the observer filter runs only for requests
 * that carry it. Removed by Envoy's route before any attempt, so it never reaches a provider.
 */
export const OBSERVE_HEADER = 'x-gateway-observe';
export const OBSERVE_HEADER_VALUE = '1';

/**
 * The observer filter's mode: response body chunks only, sent without waiting (observability_mode
 * accepts only STREAMED bodies); the request id arrives with the first chunk as an attribute.
 */
export const OBSERVER_PROCESSING_MODE = {
  request_header_mode: 'SKIP',
  request_body_mode: 'NONE',
  request_trailer_mode: 'SKIP',
  response_header_mode: 'SKIP',
  response_body_mode: 'STREAMED',
  response_trailer_mode: 'SKIP',
} as const;

/** The sidecar admin path Envoy health-checks the sidecar on: 503 while it drains. */
export const SIDECAR_HEALTH_PATH = '/healthz';
/** The sidecar admin path Envoy health-checks every target on (the target id in the Host header). */
export const TARGET_HEALTH_PATH = '/healthz/target';

/**
 * Envoy's header for "treat this host as failing its active health check now", set by the
 * attempt processor: the host is left out of load balancing until its next health check
 * passes, which the sidecar's target health endpoint refuses while the target is paused.
 */
export const IMMEDIATE_HEALTH_CHECK_FAIL_HEADER = 'x-envoy-immediate-health-check-fail';
/**
 * Set on an attempt's answer by the attempt processor when every target of the model is paused,
 * together with a :status Envoy does not retry: the router processor answers the client with a
 * 429 and Retry-After instead of Envoy retrying a target that asked for quiet. Never reaches a client.
 */
export const TARGETS_PAUSED_HEADER = 'x-gateway-targets-paused';
/** Envoy's count of tries (include_attempt_count_in_response), read by the router processor. */
export const ATTEMPT_COUNT_HEADER = 'x-envoy-attempt-count';

/**
 * The router-level processor's static mode: request headers, then the whole request body;
 * no response phase. Envoy also runs its own replies (codec errors, 431, 413, 503, 504) through
 * the response phases, and a reply waiting there for the sidecar is lost when Envoy closes the
 * connection after a codec error.
 */
export const ROUTER_PROCESSING_MODE = {
  request_header_mode: 'SEND',
  request_body_mode: 'BUFFERED',
  request_trailer_mode: 'SKIP',
  response_header_mode: 'SKIP',
  response_body_mode: 'NONE',
  response_trailer_mode: 'SKIP',
} as const;

/**
 * The mode the sidecar switches a request to (mode_override on its request-headers reply,
 * the only phase besides response headers where Envoy honours it) once it will route the
 * request: response headers, then JSON answers whole; the sidecar switches 200 event streams
 * to STREAMED per response. Envoy takes body modes from an override as given, so the request
 * body stays BUFFERED here.
 */
export const ROUTED_PROCESSING_MODE = {
  request_body_mode: 'BUFFERED',
  response_header_mode: 'SEND',
  response_body_mode: 'BUFFERED',
} as const;
