import { fork } from 'node:child_process';
import { connect, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import type { ProcessingRequest, ProcessingResponse } from '../src/extproc/messages.js';
import { loadExternalProcessorService } from '../src/extproc/proto.js';
import { CONTINUE_RESPONSE_BODY } from '../src/extproc/responses.js';

/**
 * What grpc-js costs per ext_proc message, against a bare node:http2 handler: the question
 * behind "what would 50 µs per streamed chunk take" (issue 17). A server process answers
 * each stream chunk message with the pass-through reply, decoding and encoding with the
 * same protobufjs code either way; a client process (node:http2, not Envoy) runs `N`
 * concurrent streams of 20 ping-pong messages. Prints the server's CPU per message.
 *
 *   node dist/bench/grpc-transport-micro.js [concurrency=64] [seconds=3]
 *
 * The bare handler is not a gRPC server (no trailers, no status, no flow-control care): it
 * bounds what a leaner server could save, it is not one.
 */
type Mode = 'grpc-js' | 'bare-http2';
const method = loadExternalProcessorService().Process!;
const MESSAGES_PER_STREAM = 20;

function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

async function serve(mode: Mode): Promise<number> {
  let messages = 0;
  process.on('message', (asked) => {
    if (asked !== 'cpu') return;
    const usage = process.cpuUsage();
    process.send!({ cpu: usage.user + usage.system, messages });
  });
  if (mode === 'grpc-js') {
    const server = new Server({ 'grpc.enable_channelz': 0 });
    server.addService(loadExternalProcessorService(), {
      Process: (call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
        call.on('data', () => {
          messages += 1;
          call.write(CONTINUE_RESPONSE_BODY);
        });
        call.on('end', () => call.end());
      },
    });
    return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))));
  }
  const server = createServer();
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    let pending: Buffer = Buffer.alloc(0);
    stream.on('data', (data: Buffer) => {
      pending = pending.length > 0 ? Buffer.concat([pending, data]) : data;
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending.length < 5 + length) break;
        method.requestDeserialize(pending.subarray(5, 5 + length));
        pending = pending.subarray(5 + length);
        messages += 1;
        stream.write(frame(method.responseSerialize(CONTINUE_RESPONSE_BODY) as Buffer));
      }
    });
    stream.on('end', () => stream.end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function measure(mode: Mode, concurrency: number, seconds: number): Promise<{ mode: Mode; concurrency: number; messages: number; server_cpu_us_per_message: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', mode]);
  const next = <T>(send?: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (reply) => resolve(reply as T));
      if (send !== undefined) child.send(send);
    });
  const { port } = await next<{ port: number }>();
  const session = connect(`http://127.0.0.1:${port}`);
  const request = frame(method.requestSerialize({ response_body: { body: Buffer.from(`data: {"id":"chatcmpl-x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lorem ipsum"}}]}\n\n`) } }) as Buffer);
  const replyBytes = frame(method.responseSerialize(CONTINUE_RESPONSE_BODY) as Buffer).length;
  const oneStream = () =>
    new Promise<void>((resolve) => {
      const stream = session.request({ ':method': 'POST', ':path': '/envoy.service.ext_proc.v3.ExternalProcessor/Process', 'content-type': 'application/grpc', te: 'trailers' });
      let sent = 1;
      let received = 0;
      let bytes = 0;
      stream.on('data', (data: Buffer) => {
        bytes += data.length;
        while (bytes >= replyBytes) {
          bytes -= replyBytes;
          received += 1;
          if (sent < MESSAGES_PER_STREAM) {
            sent += 1;
            stream.write(request);
          } else if (received === MESSAGES_PER_STREAM) stream.end();
        }
      });
      stream.on('close', resolve);
      stream.on('error', () => resolve());
      stream.write(request);
    });
  let stop = false;
  const phase = async (phaseSeconds: number) => {
    stop = false;
    const workers = Array.from({ length: concurrency }, async () => {
      while (!stop) await oneStream();
    });
    await new Promise((resolve) => setTimeout(resolve, phaseSeconds * 1000));
    stop = true;
    await Promise.all(workers);
  };
  await phase(2);
  const before = await next<{ cpu: number; messages: number }>('cpu');
  await phase(seconds);
  const after = await next<{ cpu: number; messages: number }>('cpu');
  session.close();
  child.kill();
  const messages = after.messages - before.messages;
  return { mode, concurrency, messages, server_cpu_us_per_message: Math.round(((after.cpu - before.cpu) / messages) * 10) / 10 };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const serving = process.argv.indexOf('--serve');
  if (serving !== -1) {
    void serve(process.argv[serving + 1] as Mode).then((port) => process.send!({ port }));
  } else {
    const concurrency = Number(process.argv[2] ?? 64);
    const seconds = Number(process.argv[3] ?? 3);
    for (const mode of ['grpc-js', 'bare-http2', 'grpc-js', 'bare-http2'] as const) console.log(JSON.stringify(await measure(mode, concurrency, seconds)));
  }
}
