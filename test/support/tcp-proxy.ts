import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of a real server, which a test can pause:
 * while held, what clients send is kept back (the server sees nothing), so a call to the
 * server stays in flight for exactly as long as the test needs.
 */
export interface TcpProxy {
  readonly port: number;
  /** Bytes sent by clients and not yet passed on because the proxy is held. */
  readonly heldBytes: number;
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let held = false;
  const waiting: Array<() => void> = [];
  let heldBytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (!held) {
        upstream.write(chunk);
        return;
      }
      heldBytes += chunk.length;
      waiting.push(() => upstream.write(chunk));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get heldBytes() {
      return heldBytes;
    },
    hold() {
      held = true;
    },
    release() {
      held = false;
      heldBytes = 0;
      for (const send of waiting.splice(0)) send();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
