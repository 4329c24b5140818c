/** JSON values of an exact nesting depth (a container is one level; a scalar none). */

/** Arrays nested `depth` levels: `[[[]]]` is 3. */
export function nestedArrays(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

/** Objects nested `depth` levels: `{"a":{"a":{}}}` is 3. */
export function nestedObjectsText(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

/** A valid JSON Schema exactly `depth` levels deep (at least 1): properties within properties. */
export function schemaOfDepth(depth: number): Record<string, unknown> {
  if (depth === 1) return { type: 'string' };
  if (depth === 2) return { type: 'array', items: { type: 'string' } };
  return { type: 'object', properties: { a: schemaOfDepth(depth - 2) } };
}
