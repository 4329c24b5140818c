import { readFileSync } from 'node:fs';
import type { Environment } from './runtime.js';

/** A secret named in the configuration ({ env } or { file }), or undefined when it is not set. */
export function readCredential(credential: { env?: string | undefined; file?: string | undefined } | undefined, environment: Environment): string | undefined {
  if (credential?.env !== undefined) return environment[credential.env]?.trim() || undefined;
  if (credential?.file !== undefined) {
    try {
      return readFileSync(credential.file, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
