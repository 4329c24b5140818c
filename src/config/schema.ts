import { z } from 'zod';

/**
 * The gateway's one configuration file. Both the sidecar's runtime view and the Envoy
 * bootstrap are derived from it (see runtime.ts and render-envoy.ts), so the two never
 * disagree. Every object is strict: a misspelt key is an error, not a silent default.
 */

const port = z.number().int().min(1).max(65535);
const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as "250ms", "30s", "5m" or "1h"');
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'expected lower-case letters, digits, "_", "." or "-" (at most 63 characters)');

export const credentialSchema = z
  .strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
    file: z.string().min(1).optional(),
  })
  .refine((credential) => (credential.env === undefined) !== (credential.file === undefined), {
    message: 'set exactly one of "env" or "file" (provider keys are never written inline)',
  });

export const providerKinds = ['openai', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderKind = (typeof providerKinds)[number];

export const providerSchema = z.strictObject({
  kind: z.enum(providerKinds),
  /** Where the provider's API lives, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama). */
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  credential: credentialSchema.optional(),
  /** Labels a provider that is a local stand-in, not a real model, everywhere it shows up. */
  demo: z.boolean().default(false),
  /** Azure OpenAI only: the api-version query parameter of the deployment path. Omit for Azure's v1 API. */
  api_version: z.string().min(1).optional(),
  connect_timeout: duration.default('5s'),
});

export const targetSchema = z.strictObject({
  provider: name,
  /** The model name the provider knows (Azure: the deployment name). */
  model: z.string().min(1),
});

export const modelSchema = z.strictObject({
  ...targetSchema.shape,
  /** Shown in /v1/models as owned_by; defaults to the provider's name. */
  owned_by: z.string().optional(),
});

export const configurationSchema = z.strictObject({
  listener: z
    .strictObject({
      address: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** Largest request body Envoy buffers for the sidecar; larger ones get an OpenAI-style 413. */
      max_request_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
    })
    .prefault({}),
  sidecar: z
    .strictObject({
      /** Where Envoy reaches the sidecar's gRPC server (an IP address: the cluster is STATIC). */
      address: z.string().default('127.0.0.1'),
      grpc_port: port.default(50051),
      /** The sidecar's own HTTP port: /healthz, /metrics. */
      admin_port: port.default(9090),
      /** Where the sidecar binds its servers. */
      bind_address: z.string().default('127.0.0.1'),
    })
    .prefault({}),
  envoy: z
    .strictObject({
      admin_address: z.string().default('127.0.0.1'),
      admin_port: port.default(9901),
      /** How long an upstream may stay silent mid-response before Envoy gives up. */
      stream_idle_timeout: duration.default('300s'),
      /** Upper bound on a whole request including streaming; "0s" means none. */
      request_timeout: duration.default('0s'),
      /** The CA bundle Envoy verifies providers' certificates against. */
      trusted_ca_file: z.string().default('/etc/ssl/certs/ca-certificates.crt'),
    })
    .prefault({}),
  providers: z.record(name, providerSchema).refine((providers) => Object.keys(providers).length > 0, {
    message: 'declare at least one provider',
  }),
  models: z.record(z.string().min(1).max(128), modelSchema).refine((models) => Object.keys(models).length > 0, {
    message: 'declare at least one model',
  }),
});

export type Configuration = z.infer<typeof configurationSchema>;
export type ProviderConfiguration = z.infer<typeof providerSchema>;
export type ModelConfiguration = z.infer<typeof modelSchema>;
