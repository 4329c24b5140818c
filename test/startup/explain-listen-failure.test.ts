import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { explainListenFailure, type ListenTarget } from '../../src/startup/explain-listen-failure.js';
import { StartupError } from '../../src/startup/startup-error.js';

const target = (port: number): ListenTarget => ({ what: "The sidecar's gRPC server", address: '127.0.0.1', port, setting: 'sidecar.grpc_port', source: 'config/gateway.yaml' });

/** A port something on this machine listens on, for as long as the test needs it. */
async function takenPort(): Promise<{ port: number; release: () => void }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const address = holder.address();
  return { port: typeof address === 'object' && address ? address.port : 0, release: () => holder.close() };
}

describe('explainListenFailure', () => {
  test("a Node server's EADDRINUSE names the address, the setting, the file and what to do", async () => {
    const { port, release } = await takenPort();
    try {
      const error = await new Promise<Error>((resolve) => createServer().once('error', resolve).listen(port, '127.0.0.1'));
      const explained = explainListenFailure(error, target(port));
      assert.ok(explained instanceof StartupError);
      assert.equal(
        explained.message,
        `The sidecar's gRPC server cannot listen on 127.0.0.1:${port}: the port is already in use by another process (is another \`make run\` or gateway running?). Stop that process, or choose a free port in sidecar.grpc_port (config/gateway.yaml).`,
      );
    } finally {
      release();
    }
  });

  test("grpc-js's bind error (the errno folded into its message) is explained the same way", async () => {
    const { port, release } = await takenPort();
    try {
      const error = await new Promise<Error>((resolve) => new Server().bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (failure) => resolve(failure!)));
      const explained = explainListenFailure(error, target(port));
      assert.ok(explained instanceof StartupError);
      assert.match(explained.message, new RegExp(`127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      release();
    }
  });

  test("Envoy's wording, an address this machine does not have, and a privileged port are kinds of their own", () => {
    assert.match((explainListenFailure(new Error('Address already in use'), target(8080)) as Error).message, /already in use/);
    const notHere = explainListenFailure(Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' }), { ...target(8080), address: '10.1.2.3' }) as Error;
    assert.match(notHere.message, /10\.1\.2\.3 is not an address of this machine/);
    const privileged = explainListenFailure(Object.assign(new Error('listen EACCES'), { code: 'EACCES' }), target(80)) as Error;
    assert.match(privileged.message, /permission denied .* sidecar\.grpc_port/);
    const ipv6 = explainListenFailure(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), { ...target(8080), address: '::1' }) as Error;
    assert.match(ipv6.message, /on \[::1\]:8080/);
  });

  test('any other error is returned unchanged', () => {
    const error = new TypeError('something else');
    assert.equal(explainListenFailure(error, target(1)), error);
  });
});
