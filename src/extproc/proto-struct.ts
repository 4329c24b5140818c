import type { ProtoStruct, ProtoValue } from './messages.js';

/**
 * Plain JSON <-> google.protobuf.Struct in the object form protobufjs expects. Its built-in
 * Struct keeps camelCase field names (stringValue, structValue) even with keepCase: a
 * snake_case key would silently serialize as an empty value.
 */
export function toProtoStruct(object: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  // for-in rather than Object.entries: no array per key, on every request's metadata and access-log facts.
  for (const key in object) {
    const value = object[key];
    if (value !== undefined && Object.hasOwn(object, key)) fields[key] = toProtoValue(value);
  }
  return { fields };
}

export function toProtoValue(value: unknown): ProtoValue {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  if (typeof value === 'object') return { structValue: toProtoStruct(value as Record<string, unknown>) };
  return { stringValue: String(value) };
}

export function fromProtoStruct(struct: ProtoStruct | undefined): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) object[key] = fromProtoValue(value);
  return object;
}

export function fromProtoValue(value: ProtoValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.structValue !== undefined) return fromProtoStruct(value.structValue);
  if (value.listValue !== undefined) return (value.listValue.values ?? []).map(fromProtoValue);
  return null;
}
