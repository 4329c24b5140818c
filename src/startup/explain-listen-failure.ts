import { StartupError } from './startup-error.js';

/** What was trying to listen, for the message a failed bind becomes. */
export interface ListenTarget {
  /** Who listens, as a sentence subject: "The sidecar's gRPC server". */
  what: string;
  address: string;
  port: number;
  /** The configuration setting that chose the port: "sidecar.grpc_port". */
  setting: string;
  /** The configuration file, named so the reader knows where to change the setting. */
  source: string;
}

const BIND_ERROR = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/;

/**
 * A failed bind as a StartupError naming the address, the port, the setting that chose it
 * and what to do; any other error is returned unchanged. Node's servers carry the errno in
 * `code`; grpc-js folds it into its message ("No address added out of total 1 resolved
 * errors: [listen EADDRINUSE: ...]"), and Envoy says "Address already in use".
 */
export function explainListenFailure(error: unknown, target: ListenTarget): unknown {
  const code = bindErrorCode(error);
  if (code === undefined) return error;
  const where = `${target.address.includes(':') ? `[${target.address}]` : target.address}:${target.port}`;
  const reason =
    code === 'EADDRINUSE'
      ? 'the port is already in use by another process (is another `make run` or gateway running?). Stop that process, or choose a free port'
      : code === 'EADDRNOTAVAIL'
        ? `${target.address} is not an address of this machine. Choose one it has (127.0.0.1 or 0.0.0.0), or another port`
        : 'permission denied (ports below 1024 need privileges). Choose a port above 1023';
  return new StartupError(`${target.what} cannot listen on ${where}: ${reason} in ${target.setting} (${target.source}).`, { cause: error });
}

function bindErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && BIND_ERROR.test(code)) return code;
  const message = (error as Error | undefined)?.message ?? '';
  const named = BIND_ERROR.exec(message);
  if (named) return named[1];
  if (/address already in use/i.test(message)) return 'EADDRINUSE';
  if (/cannot assign requested address/i.test(message)) return 'EADDRNOTAVAIL';
  if (/permission denied/i.test(message)) return 'EACCES';
  return undefined;
}
