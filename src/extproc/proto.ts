import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

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
  return root.envoy.service.ext_proc.v3.ExternalProcessor.service;
}

function resolveProtoRoot(): string {
  // Compiled code runs from dist/src/extproc; sources from src/extproc. Both sit under the package root.
  const here = fileURLToPath(new URL('.', import.meta.url));
  const packageRoot = here.replace(/\/(dist\/)?src\/extproc\/?$/, '');
  return `${packageRoot}/protos`;
}
