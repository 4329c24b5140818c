/**
 * The timeline of a gateway pod's shutdown, in seconds from the moment Kubernetes marks it
 * terminating (both containers' preStop hooks start then, while the endpoint controller
 * removes the pod from the Service):
 *
 * - Envoy keeps accepting clients for `envoyDrainSeconds` (--drain-time-s), answering each
 *   with "connection: close", so clients that have not yet seen the endpoint removal are
 *   still served; then it stops its client listener.
 * - The sidecar's preStop (`llm-gateway drain-envoy`) returns once no client request is in
 *   flight, or after `drainDeadlineSeconds`; the sidecar then gets SIGTERM and finishes its
 *   own streams within `sidecarGraceSeconds` (GATEWAY_SHUTDOWN_GRACE_MS).
 * - Envoy's preStop sleeps `envoyPreStopSeconds` (its image has no HTTP client to wait
 *   more cleverly); then SIGTERM ends it at once, with any stream still open.
 * - `terminationGracePeriodSeconds` covers the longest path (the sidecar's) with a margin;
 *   the kubelet kills whatever still runs after it.
 *
 * A stream longer than the Envoy preStop is cut; raise all of these together in an overlay
 * for long generations.
 */
export const POD_SHUTDOWN = Object.freeze({
  envoyDrainSeconds: 15,
  drainDeadlineSeconds: 40,
  envoyPreStopSeconds: 45,
  sidecarGraceSeconds: 25,
  terminationGracePeriodSeconds: 75,
});
