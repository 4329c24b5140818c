import { localAddress } from '../config/local-address.js';
import type { Configuration } from '../config/schema.js';

export interface HealthCheckResult {
  readonly healthy: boolean;
  /** What was asked, for the message a failing check prints. */
  readonly url: string;
  /** The HTTP status, or the reason no answer came (refused, timed out). */
  readonly outcome: string;
}

/**
 * Asks the sidecar's admin server for /healthz where the configuration says it listens
 * (sidecar.admin_bind_address and sidecar.admin_port), from inside its network namespace:
 * a container's HEALTHCHECK. Healthy only on 200; a draining sidecar answers 503.
 */
export async function checkSidecarHealth(configuration: Configuration, timeoutMs = 2000): Promise<HealthCheckResult> {
  const { sidecar } = configuration;
  const url = `http://${localAddress(sidecar.admin_bind_address)}:${sidecar.admin_port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { healthy: response.status === 200, url, outcome: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { healthy: false, url, outcome: cause };
  }
}
