/**
 * The replies Envoy makes itself, before or instead of a provider's answer, and what the
 * client is told about each. Neutral of any client format: a ClientErrorFormat
 * (render-local-reply-config.ts) turns each kind into that format's error body.
 *
 * Envoy names the cause in the reply's response code details (%RESPONSE_CODE_DETAILS%,
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/response_code_details),
 * so the kinds match on status and details. The details and statuses below were read from
 * Envoy 1.40's debug logs for each case (test/e2e/envoy-local-replies.test.ts).
 */
export interface LocalReplyKind {
  /** The HTTP status the kind covers; a range for the catch-alls. */
  status: number | { from: number; to: number };
  /** Envoy's response code details: the whole string, or a prefix; absent matches any. */
  details?: string | { prefix: string };
  /** A fault of the client's request (4xx) or of the gateway and its providers (5xx). */
  fault: 'client' | 'server';
  /** Stable error code for the body (`error.code` in OpenAI's shape). */
  code: string;
  /** Says what was wrong and, for limits, the limit. May hold Envoy command operators such as %RESPONSE_CODE_DETAILS%. */
  message: string;
}

/** The limits Envoy enforces on a request before any filter sees it. */
export interface RequestLimits {
  /** listener.max_request_bytes: the largest body Envoy buffers. */
  maxRequestBytes: number;
  /** The HCM's max_request_headers_kb: request line and headers together, in KiB. */
  maxRequestHeadersKib: number;
  /** max_headers_count: header fields in one request. */
  maxRequestHeaders: number;
}

/** Every kind of reply Envoy makes itself, most specific first (the first match wins). */
export function envoyLocalReplyKinds(limits: RequestLimits): LocalReplyKind[] {
  return [
    {
      status: 431,
      fault: 'client',
      code: 'request_headers_too_large',
      // Envoy's HTTP/1 codec gives the same details for both limits, so both are named.
      message: `The request headers are too large: this gateway accepts at most ${limits.maxRequestHeadersKib} KiB of request line and headers together, and at most ${limits.maxRequestHeaders} header fields.`,
    },
    {
      status: 413,
      fault: 'client',
      code: 'request_too_large',
      message: `The request body is too large: this gateway accepts at most ${limits.maxRequestBytes} bytes (listener.max_request_bytes).`,
    },
    {
      status: 400,
      details: 'http1.unexpected_underscore',
      fault: 'client',
      code: 'invalid_header_name',
      // Refused rather than dropped or passed on: proxies and servers disagree on whether x_a and x-a are one header.
      message: 'A request header name contains an underscore, which this gateway refuses; use hyphens instead.',
    },
    {
      status: 400,
      details: 'http1.invalid_characters',
      fault: 'client',
      code: 'invalid_header_value',
      message: 'A request header value contains a character HTTP does not allow (a control character such as NUL).',
    },
    {
      status: 400,
      details: 'http1.content_length_and_chunked_not_allowed',
      fault: 'client',
      code: 'invalid_request_framing',
      message: 'The request has both Content-Length and Transfer-Encoding: chunked; send one of them.',
    },
    {
      status: 400,
      details: 'missing_host_header',
      fault: 'client',
      code: 'missing_host_header',
      message: 'The request has no Host header, which HTTP/1.1 requires.',
    },
    {
      status: 400,
      details: { prefix: 'http1.' },
      fault: 'client',
      code: 'malformed_request',
      message:
        'The request is not valid HTTP/1.1 (%RESPONSE_CODE_DETAILS%): check the request line (method, path, version), the header names, Content-Length and the chunked framing of the body.',
    },
    {
      status: 426,
      details: 'low_version',
      fault: 'client',
      code: 'http_version_not_supported',
      message: 'Only HTTP/1.1 and HTTP/2 are supported; this request uses an older (or unknown) HTTP version.',
    },
    {
      status: 501,
      details: 'http1.invalid_transfer_encoding',
      fault: 'client',
      code: 'unsupported_transfer_encoding',
      message: 'The request uses a Transfer-Encoding other than chunked, which this gateway does not support.',
    },
    {
      status: 403,
      details: 'upgrade_failed',
      fault: 'client',
      code: 'upgrade_not_supported',
      message: 'This gateway does not accept protocol upgrades or tunnels (Upgrade, CONNECT).',
    },
    {
      status: 404,
      fault: 'client',
      code: 'route_not_found',
      message: 'No route for this request (%RESPONSE_CODE_DETAILS%).',
    },
    {
      status: 503,
      details: { prefix: 'ext_proc_error' },
      fault: 'server',
      code: 'service_unavailable',
      message: "The gateway's request processor is unavailable (%RESPONSE_CODE_DETAILS%).",
    },
    {
      status: 503,
      details: 'cluster_not_found',
      fault: 'server',
      code: 'service_unavailable',
      message: "The gateway's proxy has no upstream cluster for this model: its configuration is older than the sidecar's (cluster_not_found).",
    },
    {
      status: 503,
      details: 'no_healthy_upstream',
      fault: 'server',
      code: 'service_unavailable',
      message: 'No healthy upstream provider for this model (no_healthy_upstream).',
    },
    {
      status: 503,
      fault: 'server',
      code: 'service_unavailable',
      message: 'The upstream provider could not be reached (%RESPONSE_CODE_DETAILS%).',
    },
    {
      status: 504,
      details: { prefix: 'ext_proc_error' },
      fault: 'server',
      code: 'gateway_timeout',
      message: "The gateway's request processor did not answer in time (%RESPONSE_CODE_DETAILS%).",
    },
    {
      status: 504,
      fault: 'server',
      code: 'gateway_timeout',
      message: 'The upstream provider did not answer in time (%RESPONSE_CODE_DETAILS%).',
    },
    {
      status: 502,
      fault: 'server',
      code: 'upstream_error',
      message: 'The upstream provider could not be reached (%RESPONSE_CODE_DETAILS%).',
    },
    {
      status: 500,
      fault: 'server',
      code: 'gateway_error',
      message: 'The gateway could not process this request (%RESPONSE_CODE_DETAILS%).',
    },
    // Anything else Envoy refuses by itself still gets a body the client's SDK can parse.
    { status: { from: 400, to: 499 }, fault: 'client', code: 'invalid_request', message: '%LOCAL_REPLY_BODY% (%RESPONSE_CODE_DETAILS%).' },
    { status: { from: 500, to: 599 }, fault: 'server', code: 'gateway_error', message: '%LOCAL_REPLY_BODY% (%RESPONSE_CODE_DETAILS%).' },
  ];
}
