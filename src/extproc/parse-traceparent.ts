/** The trace id of a valid W3C traceparent (version 00), or undefined (https://www.w3.org/TR/trace-context/#traceparent-header). */
export function parseTraceparent(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value.trim());
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return match[1];
}
