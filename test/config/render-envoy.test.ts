import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadConfigurationFile, parseConfiguration } from '../../src/config/load.js';
import { buildEnvoyBootstrap, MAX_REQUEST_HEADERS, MAX_REQUEST_HEADERS_KIB, renderEnvoyBootstrap } from '../../src/config/render-envoy.js';
import { BRIEF_ATTRIBUTES, OBSERVE_HEADER, OBSERVER_PROCESSING_MODE, REQUEST_ID_ATTRIBUTE, ROUTED_PROCESSING_MODE, ROUTER_PROCESSING_MODE, ROUTE_HEADER, TARGET_ATTRIBUTE, TRIED_ATTRIBUTE } from '../../src/config/envoy-contract.js';
import { HEADERS_NOT_FORWARDED } from '../../src/config/header-policy.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { UNREAD_REQUEST_ID } from '../../src/config/render-local-reply-config.js';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('the checked-in Envoy configs are generated from config/gateway.yaml', () => {
  for (const [file, envFile] of [
    ['envoy/envoy.yaml', undefined],
    ['envoy/envoy.compose.yaml', 'envoy/compose.env'],
  ] as const) {
    test(`${file} is up to date (run \`make render\` if this fails)`, () => {
      const environment = envFile ? readEnvFile(join(PACKAGE_ROOT, envFile)) : {};
      const configuration = loadConfigurationFile(join(PACKAGE_ROOT, 'config/gateway.yaml'), environment);
      const view = buildRuntimeView(configuration, { environment: {} });
      const expected = renderEnvoyBootstrap(view, { header: 'x' }).split('\n').slice(1).join('\n');
      const actual = readFileSync(join(PACKAGE_ROOT, file), 'utf8').replace(/^(#.*\n)+/, '');
      assert.equal(actual, expected);
    });
  }
});

describe('renderEnvoyBootstrap', () => {
  const configuration = parseConfiguration(
    `
listener: { port: 18080, max_request_bytes: 1048576 }
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: K } }
  local: { kind: openai, base_url: http://127.0.0.1:11434/v1 }
models:
  gpt: { provider: openai, model: gpt-4o }
  llama: { provider: local, model: llama3 }
  chain: { fallback: [{ provider: openai, model: gpt-4o }, { provider: local, model: llama3 }] }
`,
    {},
  );
  const bootstrap = buildEnvoyBootstrap(buildRuntimeView(configuration, { environment: {} })) as any;
  const clusters = bootstrap.static_resources.clusters as any[];
  const listener = bootstrap.static_resources.listeners[0];
  const hcm = listener.filter_chains[0].filters[0].typed_config;

  test('the output parses as YAML and round-trips', () => {
    const text = renderEnvoyBootstrap(buildRuntimeView(configuration, { environment: {} }), { header: 'generated' });
    assert.ok(text.startsWith('# generated\n'));
    assert.deepEqual(parse(text), JSON.parse(JSON.stringify(bootstrap)));
  });

  test('one cluster per model and per later level of a chain, plus the sidecar and the admin interface behind the metrics listener', () => {
    assert.deepEqual(clusters.map((cluster) => cluster.name), ['gateway_sidecar', 'envoy_admin', 'model_gpt', 'model_llama', 'model_chain', 'model_chain__levels_0', 'model_chain__levels_1']);
    // The chain's second level alone, as priority 0, with the same target id.
    const tail = clusters.find((cluster) => cluster.name === 'model_chain__levels_1');
    assert.deepEqual(tail.load_assignment.endpoints.map((level: any) => level.priority), [0]);
    assert.equal(tail.load_assignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata['llm_gateway'].target, 'chain#1');
    const metrics = bootstrap.static_resources.listeners[1];
    assert.equal(metrics.address.socket_address.port_value, 9902);
    const routes = metrics.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    assert.deepEqual(routes.slice(0, 2).map((route: any) => [route.match.path, route.match.headers[0].string_match.exact, route.route.cluster]), [
      ['/stats/prometheus', 'GET', 'envoy_admin'],
      ['/ready', 'GET', 'envoy_admin'],
    ]);
    assert.deepEqual(routes[2].direct_response, { status: 404 }, 'nothing else of the admin interface is reachable');
    assert.equal(routes.length, 3);
    assert.equal(listener.traffic_direction, 'INBOUND', 'the client listener is the one an inbound-only drain stops');
    assert.equal(metrics.traffic_direction, undefined, 'the metrics listener keeps serving probes while the client listener drains');
  });

  test('https providers get TLS with SNI and certificate checks; plaintext ones do not', () => {
    const gpt = clusters.find((cluster) => cluster.name === 'model_gpt');
    assert.deepEqual(gpt.transport_socket_matches.map((match: any) => match.name), ['plaintext', 'tls']);
    const tls = gpt.transport_socket_matches[1].transport_socket.typed_config;
    assert.equal(tls.auto_host_sni, true);
    assert.equal(tls.auto_sni_san_validation, true);
    assert.equal(tls.common_tls_context.validation_context.trusted_ca.filename, '/etc/ssl/certs/ca-certificates.crt');
    const endpoint = gpt.load_assignment.endpoints[0].lb_endpoints[0];
    assert.deepEqual(endpoint.endpoint.address.socket_address, { address: 'api.openai.com', port_value: 443 });
    assert.equal(endpoint.endpoint.hostname, 'api.openai.com');
    assert.deepEqual(endpoint.metadata.filter_metadata['envoy.transport_socket_match'], { tls: 'true' });
    const llama = clusters.find((cluster) => cluster.name === 'model_llama');
    assert.deepEqual(llama.transport_socket_matches.map((match: any) => match.name), ['plaintext']);
    assert.deepEqual(llama.load_assignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata['envoy.transport_socket_match'], { tls: 'false' });
    assert.deepEqual(llama.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.1', port_value: 11434 });
  });

  test('routing: the route reads the header the sidecar writes, with no 15 s default timeout', () => {
    const route = hcm.route_config.virtual_hosts[0].routes[0].route;
    assert.equal(route.cluster_header, ROUTE_HEADER);
    assert.equal(route.timeout, '0s');
    assert.equal(route.auto_host_rewrite, true);
  });

  test('the router ext_proc fails closed, buffers requests, and may switch responses to streamed', () => {
    const extProc = hcm.http_filters.find((filter: any) => filter.name === 'envoy.filters.http.ext_proc').typed_config;
    assert.equal(extProc.failure_mode_allow, false);
    assert.equal(extProc.processing_mode.request_body_mode, 'BUFFERED');
    assert.equal(extProc.allow_mode_override, true);
    assert.equal(hcm.http_filters.at(-1).name, 'envoy.filters.http.router');
    assert.equal(listener.per_connection_buffer_limit_bytes, 1048576);
  });

  test('responses reach the sidecar only when it asks (mode_override on request headers), so Envoy never holds its own replies for it', () => {
    const extProc = hcm.http_filters.find((filter: any) => filter.name === 'envoy.filters.http.ext_proc').typed_config;
    assert.deepEqual(extProc.processing_mode, ROUTER_PROCESSING_MODE);
    assert.equal(extProc.processing_mode.response_header_mode, 'SKIP');
    assert.equal(extProc.processing_mode.response_body_mode, 'NONE');
    // Envoy takes body modes from an override as given: the request body must stay BUFFERED.
    assert.equal(ROUTED_PROCESSING_MODE.request_body_mode, extProc.processing_mode.request_body_mode);
    assert.equal(ROUTED_PROCESSING_MODE.response_header_mode, 'SEND');
  });

  test('the whole request is buffered before the sidecar sees it, up to max_request_bytes; CONNECT gets a route so Envoy refuses it', () => {
    const names = hcm.http_filters.map((filter: any) => filter.name);
    assert.ok(names.indexOf('envoy.filters.http.buffer') < names.indexOf('envoy.filters.http.ext_proc'));
    const buffer = hcm.http_filters.find((filter: any) => filter.name === 'envoy.filters.http.buffer');
    assert.equal(buffer.typed_config.max_request_bytes, 1048576);
    assert.ok(hcm.route_config.virtual_hosts[0].routes.some((route: any) => route.match.connect_matcher !== undefined));
  });

  test('targets are health-checked against the sidecar, in plaintext, with the target id as Host', () => {
    const gpt = clusters.find((cluster) => cluster.name === 'model_gpt');
    const endpoint = gpt.load_assignment.endpoints[0].lb_endpoints[0].endpoint;
    assert.deepEqual(endpoint.health_check_config, { address: { socket_address: { address: '127.0.0.1', port_value: 9090 } }, hostname: 'gpt#0' });
    assert.equal(gpt.health_checks[0].http_health_check.path, '/healthz/target');
    assert.deepEqual(gpt.health_checks[0].transport_socket_match_criteria, { tls: 'false' });
  });

  test('a fallback chain becomes endpoint priorities, weighted levels become endpoint weights', () => {
    const chain = buildEnvoyBootstrap(
      buildRuntimeView(
        parseConfiguration(
          `
providers:
  a: { kind: openai, base_url: http://127.0.0.1:1/v1 }
  b: { kind: openai, base_url: http://127.0.0.1:2/v1 }
  c: { kind: openai, base_url: http://127.0.0.1:3/v1 }
models:
  m:
    fallback:
      - balance: [{ provider: a, model: x, weight: 3 }, { provider: b, model: x }]
      - { provider: c, model: y }
resilience: { attempts_per_level: 3, max_attempts: 7, retry_on: [5xx, '429'] }
`,
          {},
        ),
        { environment: {} },
      ),
    ) as any;
    const cluster = chain.static_resources.clusters[2];
    const levels = cluster.load_assignment.endpoints.map((level: any) => [level.priority, level.lb_endpoints.map((endpoint: any) => [endpoint.metadata.filter_metadata.llm_gateway.target, endpoint.load_balancing_weight])]);
    assert.deepEqual(levels, [
      [0, [['m#0', 3], ['m#1', 1]]],
      [1, [['m#2', 1]]],
    ]);
    const retry = chain.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy;
    assert.equal(retry.retry_on, '5xx,retriable-status-codes');
    assert.deepEqual(retry.retriable_status_codes, [429]);
    assert.equal(retry.num_retries, 6);
    assert.equal(retry.retry_priority.typed_config.update_frequency, 3);
    assert.deepEqual(retry.rate_limited_retry_back_off.reset_headers, [{ name: 'retry-after', format: 'SECONDS' }]);
    assert.equal(retry.per_try_idle_timeout, '300s');
    assert.equal(cluster.outlier_detection.max_ejection_percent, 100);
    assert.equal(cluster.circuit_breakers.thresholds[0].max_retries, 1000);
    assert.equal(cluster.circuit_breakers.thresholds[0].retry_budget.budget_percent.value, 25);
  });

  test('a model with several targets runs the attempt processor before the upstream codec; one with a single target runs it for failed answers only', () => {
    const options = (name: string) => clusters.find((cluster) => cluster.name === name).typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const filters = options('model_chain').http_filters;
    assert.deepEqual(filters.map((filter: any) => filter.name), ['envoy.filters.http.ext_proc', 'envoy.filters.http.header_mutation', 'envoy.filters.http.upstream_codec']);
    // The processor is left out of successful answers (status classes 1xx-3xx): only failures ask for a pause.
    const skippedClasses = (filter: any) => Object.keys(filter.typed_config.xds_matcher.matcher_tree.exact_match_map.map).sort();
    assert.deepEqual(skippedClasses(filters[0]), ['1xx', '2xx', '3xx']);
    const attempt = filters[0].typed_config.extension_config.typed_config;
    assert.equal(attempt.failure_mode_allow, false);
    // Stateless: the body (the client's request as the router parsed it) and the router's brief come with each attempt.
    assert.equal(attempt.processing_mode.request_body_mode, 'BUFFERED');
    assert.deepEqual(attempt.request_attributes, [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE, ...BRIEF_ATTRIBUTES]);
    assert.ok(BRIEF_ATTRIBUTES.includes(TRIED_ATTRIBUTE), 'each attempt reads the ones before it');
    // Every failed attempt's answer is seen (a provider's request to pause), and the host may be marked failing.
    assert.equal(attempt.processing_mode.response_header_mode, 'SEND');
    assert.equal(attempt.allow_mode_override, true);
    assert.deepEqual(attempt.mutation_rules, { allow_envoy: true });
    // The router writes a single target's provider request itself: the attempt processor sees only failed answers.
    for (const single of ['model_gpt', 'model_llama']) {
      const answerFilters = options(single).http_filters;
      assert.deepEqual(answerFilters.map((filter: any) => filter.name), ['envoy.filters.http.ext_proc', 'envoy.filters.http.upstream_codec']);
      assert.deepEqual(skippedClasses(answerFilters[0]), ['1xx', '2xx', '3xx']);
      const answers = answerFilters[0].typed_config.extension_config.typed_config;
      assert.equal(answers.processing_mode.request_header_mode, 'SKIP');
      assert.equal(answers.processing_mode.response_header_mode, 'SEND');
      assert.deepEqual(answers.response_attributes, [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE, ...BRIEF_ATTRIBUTES]);
    }
  });

  test('the router processor reads the attempts (the last one answered) with the answer, from dynamic metadata', () => {
    const router = hcm.http_filters.find((filter: any) => filter.name === 'envoy.filters.http.ext_proc');
    assert.deepEqual(router.typed_config.response_attributes, [TRIED_ATTRIBUTE]);
  });

  test('sidecar.workers: one sidecar cluster endpoint per worker, on consecutive gRPC ports, all health-checked on the shared admin port', () => {
    const view = buildRuntimeView(parseConfiguration(`sidecar: { grpc_port: 50051, admin_port: 9090, workers: 3 }\nproviders:\n  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: OPENAI_API_KEY } }\nmodels:\n  gpt: { provider: openai, model: gpt-4o }\n`, {}), { environment: {} });
    const sidecar = (buildEnvoyBootstrap(view) as any).static_resources.clusters.find((cluster: any) => cluster.name === 'gateway_sidecar');
    const endpoints = sidecar.load_assignment.endpoints[0].lb_endpoints;
    assert.deepEqual(endpoints.map((entry: any) => entry.endpoint.address.socket_address.port_value), [50051, 50052, 50053]);
    assert.deepEqual(endpoints.map((entry: any) => entry.endpoint.health_check_config.port_value), [9090, 9090, 9090]);
    assert.equal(sidecar.lb_policy ?? 'ROUND_ROBIN', 'ROUND_ROBIN');
  });

  test('sidecar.pass_through_observability_mode: an observability-mode filter after the router filter, only for marked requests', () => {
    assert.deepEqual(hcm.http_filters.map((filter: any) => filter.name), ['envoy.filters.http.buffer', 'envoy.filters.http.ext_proc', 'envoy.filters.http.router'], 'off by default');
    const view = buildRuntimeView(parseConfiguration(`sidecar: { pass_through_observability_mode: true }\nproviders:\n  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: OPENAI_API_KEY } }\nmodels:\n  gpt: { provider: openai, model: gpt-4o }\n`, {}), { environment: {} });
    const filters = (buildEnvoyBootstrap(view) as any).static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
    assert.deepEqual(filters.map((filter: any) => filter.name), ['envoy.filters.http.buffer', 'envoy.filters.http.ext_proc', 'gateway.observer', 'envoy.filters.http.router']);
    const wrapper = filters[2].typed_config;
    const matcher = wrapper.xds_matcher.matcher_list.matchers[0];
    // Skipped unless the router processor marked the request.
    assert.equal(matcher.predicate.not_matcher.single_predicate.input.typed_config.header_name, OBSERVE_HEADER);
    assert.match(matcher.on_match.action.typed_config['@type'], /SkipFilter$/);
    const observer = wrapper.extension_config.typed_config;
    assert.equal(observer.observability_mode, true);
    assert.deepEqual(observer.processing_mode, OBSERVER_PROCESSING_MODE);
    assert.deepEqual(observer.response_attributes, [REQUEST_ID_ATTRIBUTE]);
    assert.deepEqual(observer.grpc_service.initial_metadata, [{ key: 'x-gateway-phase', value: 'observer' }]);
    assert.ok(HEADERS_NOT_FORWARDED.includes(OBSERVE_HEADER), 'the marking header never reaches a provider');
  });

  test('the route removes the routing and proxy headers before any attempt; Envoy adds no x-envoy-* headers but the attempt count', () => {
    const virtualHost = hcm.route_config.virtual_hosts[0];
    assert.deepEqual(virtualHost.routes[0].request_headers_to_remove, HEADERS_NOT_FORWARDED);
    assert.ok(HEADERS_NOT_FORWARDED.includes(ROUTE_HEADER));
    assert.equal(virtualHost.include_attempt_count_in_response, true);
    const router = hcm.http_filters.find((filter: any) => filter.name === 'envoy.filters.http.router');
    assert.equal(router.typed_config.suppress_envoy_headers, true);
  });

  test("Envoy's graceful ext_proc close stays off (it crashes Envoy 1.40 at the end of long streams)", () => {
    assert.equal(bootstrap.layered_runtime.layers[0].static_layer['envoy.reloadable_features.ext_proc_graceful_grpc_close'], false);
  });

  test("Envoy's own refusals are rewritten to OpenAI JSON naming the limit, the sidecar's are left alone", () => {
    const mappers = hcm.local_reply_config.mappers as any[];
    const expression = (mapper: any): string => mapper.filter.extension_filter.typed_config.expression;
    // The first mapper matches the sidecar's replies and changes nothing, so no later one rewrites them.
    assert.equal(expression(mappers[0]), "response.code_details.startsWith('gateway')");
    assert.deepEqual(Object.keys(mappers[0]), ['filter']);
    const tooLarge = mappers.find((mapper) => expression(mapper) === 'response.code == 413 && has(request.id)');
    assert.equal(tooLarge.body_format_override.json_format.error.code, 'request_too_large');
    assert.match(tooLarge.body_format_override.json_format.error.message, /1048576 bytes/);
    assert.equal(hcm.max_request_headers_kb, MAX_REQUEST_HEADERS_KIB);
    assert.equal(hcm.common_http_protocol_options.max_headers_count, MAX_REQUEST_HEADERS);
    const headers = mappers.find((mapper) => expression(mapper) === 'response.code == 431 && !has(request.id)');
    assert.match(headers.body_format_override.json_format.error.message, new RegExp(`${MAX_REQUEST_HEADERS_KIB} KiB.*${MAX_REQUEST_HEADERS} header fields`));
    for (const mapper of mappers.slice(1)) {
      assert.equal(mapper.body_format_override.content_type, 'application/json');
      const anthropic = expression(mapper).includes("request.path.startsWith('/v1/messages')");
      assert.deepEqual(Object.keys(mapper.body_format_override.json_format.error), anthropic ? ['type', 'message'] : ['message', 'type', 'param', 'code']);
    }
  });

  test("Envoy names every request, replaces a client's x-request-id, and every reply carries the id", () => {
    assert.equal(hcm.generate_request_id, true);
    assert.equal(hcm.always_set_request_id_in_response, true);
    assert.equal(hcm.preserve_external_request_id, false);
    // Empty cidr_ranges would make loopback and private peers internal, and their x-request-id trusted.
    assert.equal(hcm.internal_address_config.cidr_ranges.length, 1);
    assert.equal(hcm.internal_address_config.cidr_ranges[0].address_prefix, '192.0.2.0');
    const mappers = hcm.local_reply_config.mappers as any[];
    const expression = (mapper: any): string => mapper.filter.extension_filter.typed_config.expression;
    for (const mapper of mappers.slice(1)) {
      const headers = mapper.headers_to_add.map((option: any) => `${option.header.key}: ${option.header.value}`);
      const value = expression(mapper).includes('!has(request.id)') ? UNREAD_REQUEST_ID : '%STREAM_ID%';
      assert.deepEqual(headers, [`x-request-id: ${value}`, `x-gateway-request-id: ${value}`]);
    }
    // Refusals of a request never read come first, or a catch-all for requests Envoy read would take them.
    assert.match(expression(mappers[1]), /!has\(request\.id\)/);
    const accessLog = hcm.access_log[0].typed_config.log_format.json_format;
    assert.match(accessLog.request_id, /request\.id.*response\.headers\['x-request-id'\]/);
    assert.equal(accessLog.gateway_request_id, undefined, 'one request id in the access log');
  });

  test('a trusted client x-request-id is kept only when the operator says so', () => {
    const trusted = parseConfiguration(
      'listener: { trust_client_request_id: true }\nproviders: { local: { kind: openai, base_url: http://127.0.0.1:11434/v1 } }\nmodels: { llama: { provider: local, model: llama3 } }\n',
      {},
    );
    const trustedBootstrap = buildEnvoyBootstrap(buildRuntimeView(trusted, { environment: {} })) as any;
    assert.equal(trustedBootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.preserve_external_request_id, true);
  });

  test("Envoy's own refusals on /v1/messages take Anthropic's shape, ahead of the OpenAI default", () => {
    const mappers = hcm.local_reply_config.mappers as any[];
    const expression = (mapper: any): string => mapper.filter.extension_filter.typed_config.expression;
    const scoped = mappers.filter((mapper) => expression(mapper).includes("request.path.startsWith('/v1/messages')"));
    assert.ok(scoped.length > 0);
    // Path-scoped mappers come before every unscoped one for a request Envoy read: the first match wins.
    // (A request never read has no path; its mappers come first and keep OpenAI's shape.)
    const firstUnscoped = mappers.findIndex((mapper, index) => index > 0 && !expression(mapper).includes('request.path') && !expression(mapper).includes('!has(request.id)'));
    assert.ok(firstUnscoped > 0 && mappers.indexOf(scoped.at(-1)) < firstUnscoped);
    const tooLarge = scoped.find((mapper) => expression(mapper).startsWith('response.code == 413'));
    assert.deepEqual(tooLarge.body_format_override.json_format.type, 'error');
    assert.equal(tooLarge.body_format_override.json_format.error.type, 'request_too_large');
    assert.match(tooLarge.body_format_override.json_format.error.message, /1048576 bytes/);
  });
});
