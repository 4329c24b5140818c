/**
 * Reads a V8 CPU profile (node --cpu-prof) of the sidecar and says where its time went in
 * given windows of the run: per function (self and total time), per component (gateway
 * source folder, npm package, Node core, GC, native), per request and per chunk.
 *
 * The profile's timestamps are CLOCK_MONOTONIC microseconds, the clock the benchmark
 * uses for its windows (process.hrtime), so windows map onto samples directly.
 */
export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileWindow {
  id: string;
  description: string;
  fromMicros: number;
  toMicros: number;
  /** Requests completed in the window. */
  requests: number;
  /** Streamed content chunks in the window (0 for JSON answers). */
  chunks: number;
}

export interface FunctionCost {
  name: string;
  location: string;
  component: string;
  /** Microseconds per request (or per chunk for the per-chunk lists). */
  micros: number;
  /** Share of the window's busy time, percent. */
  percent: number;
}

export interface ComponentCost {
  component: string;
  micros: number;
  percent: number;
}

export interface WindowAnalysis {
  id: string;
  description: string;
  requests: number;
  chunks: number;
  seconds: number;
  samples: number;
  /** Sampled busy (non-idle) CPU time per request, microseconds. */
  busyMicrosPerRequest: number;
  busyMicrosPerChunk?: number;
  /** The same time grouped by what the sidecar was doing (see ACTIVITIES). */
  activities: ComponentCost[];
  components: ComponentCost[];
  topSelf: FunctionCost[];
  /** Gateway code (dist/src) by total time, callees included. */
  topGatewayTotal: FunctionCost[];
}

const IDLE = '(idle)';

/** What a sample was doing, decided from its stack (first rule that matches wins). */
export const ACTIVITIES = {
  metering: 'metering: the request log line (pino) and Prometheus metrics',
  errors: 'Error objects Node builds for streams Envoy resets (NodeError + stack trace)',
  gateway: 'gateway logic: parse, validate, route, translate, headers (src/, zod)',
  transport: 'gRPC transport: HTTP/2 framing, grpc-js, protobuf, event loop, syscalls',
  gc: 'garbage collection',
  other: 'other',
} as const;

const TRANSPORT_COMPONENTS = /^(native|Node core|@grpc\/|protobufjs|@protobufjs\/|long$)/;
const METERING_COMPONENTS = /^(pino|sonic-boom|@pinojs\/|quick-format-unescaped|fast-redact|prom-client|tdigest|bintrees|thread-stream|on-exit-leak-free|atomic-sleep|safe-stable-stringify)/;
const ERROR_FUNCTIONS = new Set(['NodeError', 'defaultPrepareStackTrace', 'prepareStackTrace', 'captureLargerStackTrace', 'prepareStackTraceCallback', 'ErrorCaptureStackTrace']);

/** Where a frame belongs: a gateway folder, an npm package, Node core, or the VM itself. */
export function componentOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8 garbage collector';
    if (functionName === '(program)') return 'native (V8, libuv, syscalls)';
    if (functionName === IDLE) return 'idle';
    return 'native (V8, libuv, syscalls)';
  }
  if (url.startsWith('node:')) return `Node core (${url.slice(5).split('/')[0]})`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const source = /\/dist\/src\/(.+)$/.exec(url);
  if (source) {
    const parts = source[1]!.split('/');
    return `gateway src/${parts[0]}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortLocation(url: string, lineNumber: number): string {
  if (url === '') return '';
  const modules = url.lastIndexOf('/node_modules/');
  const source = url.indexOf('/dist/');
  const path = modules !== -1 ? url.slice(modules + '/node_modules/'.length) : source !== -1 ? url.slice(source + '/dist/'.length) : url.replace(/^file:\/\//, '');
  return `${path}:${lineNumber + 1}`;
}

export function analyseProfile(profile: CpuProfile, windows: ProfileWindow[], top = 12): WindowAnalysis[] {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const keyOf = new Map<number, string>();
  const info = new Map<string, { name: string; location: string; component: string }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const location = shortLocation(url, lineNumber);
    const key = `${name}@${location}`;
    keyOf.set(node.id, key);
    if (!info.has(key)) info.set(key, { name, location, component: componentOf(url, functionName) });
  }
  // The distinct gateway-source functions on each node's stack, for total (inclusive) time.
  const gatewayStack = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    const known = gatewayStack.get(id);
    if (known) return known;
    const up = parent.get(id);
    const above = up === undefined ? [] : stackOf(up);
    const key = keyOf.get(id)!;
    const own = info.get(key)!.component.startsWith('gateway src/') && !above.includes(key) ? [...above, key] : above;
    gatewayStack.set(id, own);
    return own;
  };

  // The activity of each node, from its own frame and its callers.
  const activityOf = new Map<number, string>();
  const stackHas = (id: number, test: (node: CpuProfileNode) => boolean): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (test(byId.get(at)!)) return true;
    return false;
  };
  const classify = (id: number): string => {
    const known = activityOf.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const { component } = info.get(keyOf.get(id)!)!;
    let activity: string;
    if (stackHas(id, (frame) => frame.callFrame.functionName === 'record' && frame.callFrame.url.endsWith('/gateway/meter.js'))) activity = ACTIVITIES.metering;
    else if (stackHas(id, (frame) => ERROR_FUNCTIONS.has(frame.callFrame.functionName))) activity = ACTIVITIES.errors;
    else if (component === 'V8 garbage collector') activity = ACTIVITIES.gc;
    else if (component.startsWith('gateway src/') || component === 'zod') activity = ACTIVITIES.gateway;
    else if (METERING_COMPONENTS.test(component)) activity = ACTIVITIES.metering;
    else if (TRANSPORT_COMPONENTS.test(component)) activity = ACTIVITIES.transport;
    else activity = node.callFrame.url === '' ? ACTIVITIES.transport : ACTIVITIES.other;
    activityOf.set(id, activity);
    return activity;
  };

  // Sample i lasts until the next one: timeDeltas[i + 1].
  const times: number[] = new Array(profile.samples.length);
  let clock = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    clock += profile.timeDeltas[index] ?? 0;
    times[index] = clock;
  }

  return windows.map((window) => {
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    const components = new Map<string, number>();
    const activities = new Map<string, number>();
    let busy = 0;
    let samples = 0;
    for (let index = 0; index < profile.samples.length; index += 1) {
      const at = times[index]!;
      if (at < window.fromMicros || at > window.toMicros) continue;
      const nodeId = profile.samples[index]!;
      const key = keyOf.get(nodeId);
      if (key === undefined) continue;
      const { component } = info.get(key)!;
      if (component === 'idle') continue;
      const duration = Math.max(0, Math.min(profile.timeDeltas[index + 1] ?? 0, 10_000));
      samples += 1;
      busy += duration;
      self.set(key, (self.get(key) ?? 0) + duration);
      components.set(component, (components.get(component) ?? 0) + duration);
      const activity = classify(nodeId);
      activities.set(activity, (activities.get(activity) ?? 0) + duration);
      for (const frame of stackOf(nodeId)) total.set(frame, (total.get(frame) ?? 0) + duration);
    }
    const per = Math.max(1, window.requests);
    const round = (value: number) => Math.round(value * 10) / 10;
    const percent = (value: number) => (busy === 0 ? 0 : Math.round((value / busy) * 1000) / 10);
    const costs = (entries: Map<string, number>): FunctionCost[] =>
      [...entries.entries()]
        .sort(([, left], [, right]) => right - left)
        .slice(0, top)
        .map(([key, micros]) => ({ ...info.get(key)!, micros: round(micros / per), percent: percent(micros) }));
    return {
      id: window.id,
      description: window.description,
      requests: window.requests,
      chunks: window.chunks,
      seconds: round((window.toMicros - window.fromMicros) / 1e5) / 10,
      samples,
      busyMicrosPerRequest: round(busy / per),
      ...(window.chunks > 0 ? { busyMicrosPerChunk: round(busy / window.chunks) } : {}),
      activities: [...activities.entries()]
        .sort(([, left], [, right]) => right - left)
        .map(([component, micros]) => ({ component, micros: round(micros / per), percent: percent(micros) })),
      components: [...components.entries()]
        .sort(([, left], [, right]) => right - left)
        .map(([component, micros]) => ({ component, micros: round(micros / per), percent: percent(micros) })),
      topSelf: costs(self),
      topGatewayTotal: costs(total),
    };
  });
}
