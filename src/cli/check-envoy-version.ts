import { execFile } from 'node:child_process';
import { StartupError } from '../startup/startup-error.js';

/** The Envoy minor version the rendered bootstrap is written for (the Makefile's ENVOY_MINOR says the same). */
export const REQUIRED_ENVOY_VERSION = '1.40';

/**
 * Runs `envoy --version` and resolves when it is Envoy REQUIRED_ENVOY_VERSION. Throws a
 * StartupError saying what to do when the binary is missing, cannot run, or is another version.
 */
export async function checkEnvoyVersion(envoyBin: string): Promise<void> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(envoyBin, ['--version'], { timeout: 30_000 }, (error, stdout, stderr) => (error ? reject(explainSpawnFailure(error, envoyBin)) : resolve(`${stdout}${stderr}`)));
  });
  // "envoy  version: 9e55.../1.40.0/Clean/RELEASE/BoringSSL"
  const version = /\/(\d+\.\d+)\.\d+\//.exec(output)?.[1];
  if (version !== REQUIRED_ENVOY_VERSION) {
    throw new StartupError(
      `${envoyBin} is ${version === undefined ? 'not a recognisable Envoy' : `Envoy ${version}`}; the gateway needs Envoy ${REQUIRED_ENVOY_VERSION}. Unset ENVOY_BIN so that \`make run\` uses the Envoy it installs into .envoy/, or point ENVOY_BIN at an Envoy ${REQUIRED_ENVOY_VERSION} binary.`,
    );
  }
}

function explainSpawnFailure(error: Error & { code?: string | number | null | undefined }, envoyBin: string): StartupError {
  const what =
    error.code === 'ENOENT'
      ? `Envoy was not found at ${envoyBin}`
      : error.code === 'EACCES'
        ? `${envoyBin} cannot be run (permission denied)`
        : `\`${envoyBin} --version\` failed (${error.message.trim()})`;
  return new StartupError(
    `${what}. Run \`make run\`, which installs Envoy ${REQUIRED_ENVOY_VERSION} into .envoy/, or set ENVOY_BIN to an Envoy ${REQUIRED_ENVOY_VERSION} binary.`,
    { cause: error },
  );
}
