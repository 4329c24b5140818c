import type { LocalReplyKind } from './envoy-local-reply-kinds.js';

/**
 * How one client format (OpenAI, later Anthropic) shapes an error, for Envoy's own replies.
 * Formats with `pathPrefixes` apply to requests under those paths; the one without is the
 * default, also for replies to requests whose path Envoy never read (a codec error).
 */
export interface ClientErrorFormat {
  /** Request path prefixes this format answers, e.g. ['/v1/messages']; absent for the default format. */
  pathPrefixes?: readonly string[];
  /** The error body as an Envoy json_format template (string values may hold command operators). */
  body(kind: LocalReplyKind): Record<string, unknown>;
}

/** The sidecar's replies carry response code details "gateway..." (extproc/responses.ts); Envoy's own never do. */
const FROM_SIDECAR = "response.code_details.startsWith('gateway')";

/**
 * The id of a request whose head Envoy refused before reading it (431, a malformed HTTP/1 head):
 * Envoy gives such a request no x-request-id, and %UNIQUE_ID% would differ between the reply's
 * two headers. The connection's number and the stream's start time name it alike wherever they
 * are read; such a refusal closes its connection, so the pair is never reused.
 */
export const UNREAD_REQUEST_ID = 'envoy-%CONNECTION_ID%-%START_TIME(%s%6f)%';

/**
 * Every reply names its request, as every routed answer does: x-request-id, the header the
 * OpenAI SDKs read, and the gateway's own x-gateway-request-id. The sidecar sets both on its
 * own replies. Envoy's replies to a request it has read carry its x-request-id (%STREAM_ID%;
 * always_set_request_id_in_response sets the same again); a request whose head was refused
 * unread has none, and UNREAD_REQUEST_ID stands in.
 */
const requestIdHeaders = (value: string) =>
  ['x-request-id', 'x-gateway-request-id'].map((key) => ({ header: { key, value }, append_action: 'ADD_IF_ABSENT' }));

/** CEL: Envoy has read the request's headers and given it an x-request-id. */
const HAS_REQUEST_ID = 'has(request.id)';

/**
 * Envoy's local_reply_config: the sidecar's replies pass untouched (they are in the client's
 * format already); every reply Envoy makes itself gets the client format's error body,
 * `content-type: application/json` and the request's id. Mappers are tried in order: requests
 * refused unread come first (they have no path, so only the default format can answer them),
 * then each path-scoped format's set, then the default format's.
 * https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/local_reply
 *
 * Throws when `formats` has no default format or more than one.
 */
export function renderLocalReplyConfig(kinds: readonly LocalReplyKind[], formats: readonly ClientErrorFormat[]): Record<string, unknown> {
  const defaults = formats.filter((format) => format.pathPrefixes === undefined);
  if (defaults.length !== 1) throw new Error(`expected exactly one default client error format, got ${defaults.length}`);
  const scoped = formats.filter((format) => format.pathPrefixes !== undefined);
  return {
    mappers: [
      // A match with nothing to change: the first matching mapper wins, so no other one rewrites these.
      { filter: celFilter(FROM_SIDECAR) },
      ...clientFormatMappers(kinds, defaults[0]!, false),
      ...scoped.flatMap((format) => clientFormatMappers(kinds, format, true)),
      ...clientFormatMappers(kinds, defaults[0]!, true),
    ],
  };
}

/** One mapper per kind of Envoy reply, for one client format, to requests Envoy has read or has not. */
function clientFormatMappers(kinds: readonly LocalReplyKind[], format: ClientErrorFormat, read: boolean): Record<string, unknown>[] {
  const paths = format.pathPrefixes?.map((prefix) => `request.path.startsWith(${celString(prefix)})`).join(' || ');
  return kinds.map((kind) => ({
    filter: celFilter([kindCondition(kind), read ? HAS_REQUEST_ID : `!${HAS_REQUEST_ID}`, ...(paths ? [`(${paths})`] : [])].join(' && ')),
    body_format_override: { json_format: format.body(kind), content_type: 'application/json' },
    headers_to_add: requestIdHeaders(read ? '%STREAM_ID%' : UNREAD_REQUEST_ID),
  }));
}

function kindCondition(kind: LocalReplyKind): string {
  const conditions =
    typeof kind.status === 'number' ? [`response.code == ${kind.status}`] : [`response.code >= ${kind.status.from}`, `response.code <= ${kind.status.to}`];
  if (typeof kind.details === 'string') conditions.push(`response.code_details == ${celString(kind.details)}`);
  else if (kind.details !== undefined) conditions.push(`response.code_details.startsWith(${celString(kind.details.prefix)})`);
  return conditions.join(' && ');
}

function celFilter(expression: string): Record<string, unknown> {
  return {
    extension_filter: {
      name: 'envoy.access_loggers.extension_filters.cel',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression },
    },
  };
}

function celString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
