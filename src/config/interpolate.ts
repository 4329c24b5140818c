import type { Environment } from './runtime.js';

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree.
 * One configuration file then serves a laptop and a compose network alike: addresses
 * differ by environment, everything else is shared. Credentials are never interpolated
 * here; they are read by name at start (see runtime.ts).
 */
export function interpolateEnvironment(tree: unknown, environment: Environment, problems: string[], path = ''): unknown {
  if (typeof tree === 'string') {
    return tree.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
      const value = environment[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problems.push(`${path || '(top level)'}: environment variable ${name} is not set and has no default`);
      return '';
    });
  }
  if (Array.isArray(tree)) return tree.map((item, index) => interpolateEnvironment(item, environment, problems, `${path}.${index}`));
  if (tree !== null && typeof tree === 'object') {
    return Object.fromEntries(
      Object.entries(tree).map(([key, value]) => [
        key,
        interpolateEnvironment(value, environment, problems, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return tree;
}
