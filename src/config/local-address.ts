/**
 * The address a process in the same network namespace (host, container or pod) dials to
 * reach a server bound to `bindAddress`: a wildcard bind ("0.0.0.0", "::") is reached on
 * loopback, any other address as it is. Returned in URL host form (IPv6 in brackets).
 */
export function localAddress(bindAddress: string): string {
  const address = bindAddress.replace(/^\[|\]$/g, '');
  if (address === '0.0.0.0' || address === '') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
