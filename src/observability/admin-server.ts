import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { SIDECAR_HEALTH_PATH } from '../config/envoy-contract.js';

/**
 * The sidecar's own HTTP port: /healthz (readiness: 503 while draining) for orchestrators and
 * Envoy's health check, /livez (liveness), /metrics for Prometheus. Never exposed through
 * Envoy's listener.
 */
export interface AdminServerOptions {
  registry: Registry;
  /** The /metrics text; defaults to the registry's. A sidecar worker gives every worker's, aggregated (sidecar.workers). */
  metricsText?: () => Promise<string>;
  /** False once the sidecar is draining, so Envoy and orchestrators stop sending new work. */
  isHealthy: () => boolean;
  /** Whether clients without a key are served; shown by /healthz so nobody runs an open gateway unknowingly. */
  access: 'open' | 'closed';
  /** Whether a target can take requests (its provider has a credential); undefined for an unknown target. */
  isTargetUsable: (targetId: string) => boolean | undefined;
  /** The path Envoy health-checks targets on; the target id comes in the Host header. */
  targetHealthPath: string;
  /** Handles /admin/* (the key and spend API). */
  adminApi?: (request: IncomingMessage, response: ServerResponse, path: string) => Promise<void>;
}

export function createAdminServer(options: AdminServerOptions): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === SIDECAR_HEALTH_PATH) {
      const healthy = options.isHealthy();
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: healthy ? 'ok' : 'draining', access: options.access }));
      return;
    }
    // Liveness, not readiness: 200 whenever the process answers, draining or not, so an orchestrator
    // restarts a wedged sidecar but never one that is finishing its streams.
    if (request.method === 'GET' && path === '/livez') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"status":"alive"}');
      return;
    }
    if (request.method === 'GET' && path === options.targetHealthPath) {
      const usable = options.isTargetUsable(request.headers.host ?? '');
      const status = usable === undefined ? 404 : usable && options.isHealthy() ? 200 : 503;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ target: request.headers.host ?? null, usable: usable ?? null }));
      return;
    }
    if (request.method === 'GET' && path === '/metrics') {
      (options.metricsText?.() ?? options.registry.metrics()).then(
        (text) => {
          response.writeHead(200, { 'content-type': options.registry.contentType });
          response.end(text);
        },
        () => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('metrics unavailable\n');
        },
      );
      return;
    }
    if (options.adminApi && (path === '/admin' || path?.startsWith('/admin/'))) {
      options.adminApi(request, response, path).catch(() => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end();
      });
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `No admin endpoint ${request.method} ${path}.`, type: 'invalid_request_error', param: null, code: 'not_found' } }));
  });
}
