import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ProcessingResponse } from './messages.js';
import { CONTINUE_RESPONSE_BODY } from './responses.js';

const EXTERNAL_PROCESSOR_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

export function loadExternalProcessorService(protoRoot: string = resolveProtoRoot()): ServiceDefinition {
  const definition = loadSync(EXTERNAL_PROCESSOR_PROTO, {
    includeDirs: [protoRoot],
    keepCase: true,
    // Enums as their names: readable in code and logs; protobufjs accepts names when encoding too.
    enums: String,
    longs: Number,
    // No defaults: absent fields stay undefined, which keeps decoding of every body chunk cheap.
    defaults: false,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: { service: ServiceDefinition } } } } };
  };
  return withConstantReplies(root.envoy.service.ext_proc.v3.ExternalProcessor.service);
}

/**
 * The service with its reply encoder taught the replies that never change: the bare
 * "continue" to a streamed body chunk (CONTINUE_RESPONSE_BODY, frozen) is encoded once, not
 * per chunk; nearly every chunk of a pass-through stream gets it. Same bytes as protobufjs
 * writes for it; grpc-js copies them into its own frame, so the shared buffer is never changed.
 */
function withConstantReplies(service: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(service)) {
    const serialize = method.responseSerialize as (value: ProcessingResponse) => Buffer;
    const continueBody = serialize(CONTINUE_RESPONSE_BODY);
    out[name] = { ...method, responseSerialize: (value: ProcessingResponse) => (value === CONTINUE_RESPONSE_BODY ? continueBody : serialize(value)) };
  }
  return out as ServiceDefinition;
}

function resolveProtoRoot(): string {
  // Compiled code runs from dist/src/extproc; sources from src/extproc. Both sit under the package root.
  const here = fileURLToPath(new URL('.', import.meta.url));
  const packageRoot = here.replace(/\/(dist\/)?src\/extproc\/?$/, '');
  return `${packageRoot}/protos`;
}
