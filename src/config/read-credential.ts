import { readFileSync } from 'node:fs';
import { describeFileError } from '../startup/describe-file-error.js';
import { StartupError } from '../startup/startup-error.js';
import type { Environment } from './environment.js';

/**
 * A secret named in the configuration ({ env } or { file }), trimmed, or undefined when the
 * variable is unset or the value empty. `setting` is where the configuration names it
 * (`governance.admin_key`), for the error. Throws a StartupError when a named file cannot be read.
 */
export function readCredential(
  credential: { env?: string | undefined; file?: string | undefined } | undefined,
  environment: Environment,
  setting: string,
): string | undefined {
  if (credential?.env !== undefined) return environment[credential.env]?.trim() || undefined;
  if (credential?.file !== undefined) return readCredentialFile(credential.file, `${setting}.file`, (path) => readFileSync(path, 'utf8')) || undefined;
  return undefined;
}

/**
 * The trimmed contents of a credential file. Throws a StartupError naming the file, the
 * setting and why it could not be read; a secret that is not mounted must stop the start,
 * not quietly disable what it protects.
 */
export function readCredentialFile(path: string, setting: string, readFile: (path: string) => string): string {
  try {
    return readFile(path).trim();
  } catch (error) {
    throw new StartupError(
      `Cannot read the credential file ${path} (${setting}): ${describeFileError(error)}. Mount or create it, make it readable by this user, or remove the setting.`,
      { cause: error },
    );
  }
}
