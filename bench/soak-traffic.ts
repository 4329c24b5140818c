import { Agent, request } from 'node:http';
import { scanStamps } from './mock-upstream.js';

/**
 * The soak's traffic: an open-loop, evenly paced mix of what a gateway meets in a day,
 * cycled in a fixed order so every kind runs at the same share whatever the length:
 * plain answers and streams (pass-through and translation, each with a virtual key whose
 * budget and parallel limit make the sidecar reserve, settle and release), streams the
 * client leaves after a few chunks, requests the client drops at once, and refusals
 * (a malformed body, an unknown model, a key over its rate limit, an unknown key).
 */
export type SoakKind =
  | 'json-openai'
  | 'json-anthropic'
  | 'stream-openai'
  | 'stream-anthropic'
  | 'stream-cut-short'
  | 'dropped-at-once'
  | 'bad-body'
  | 'unknown-model'
  | 'rate-limited'
  | 'unknown-key';

/** One cycle of 20 requests: 8 answers, 5 whole streams, 2 cut short, 1 dropped, 4 refusals. */
export const SOAK_CYCLE: readonly SoakKind[] = [
  'json-openai',
  'stream-openai',
  'json-anthropic',
  'bad-body',
  'json-openai',
  'stream-cut-short',
  'stream-anthropic',
  'unknown-model',
  'json-openai',
  'stream-openai',
  'dropped-at-once',
  'rate-limited',
  'json-openai',
  'stream-anthropic',
  'json-anthropic',
  'unknown-key',
  'json-openai',
  'stream-cut-short',
  'stream-openai',
  'json-openai',
];

/** Content chunks a cut-short client reads before it closes the connection. */
export const CUT_AFTER_CHUNKS = 5;

/** The virtual keys the soak gateway declares (bench/soak.ts): their secrets, as clients send them. */
export interface SoakSecrets {
  /** A budget and a parallel limit: every request reserves, then settles or releases. */
  budget: string;
  /** One request per minute: nearly every request with it is refused (429). */
  limited: string;
}

/** What clients of one kind saw: requests sent, outcomes as expected, and the others by status ("error" for a failed connection). */
export interface KindOutcome {
  sent: number;
  expected: number;
  unexpected: Record<string, number>;
  /** Answers by HTTP status (a dropped client's request may have none). */
  statuses: Record<string, number>;
}

export type SoakOutcomes = Record<SoakKind, KindOutcome>;

interface Shot {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** How the client reads the answer. */
  read: 'whole' | 'stream' | 'cut' | 'drop';
  /** Statuses that are what this kind should get. */
  statuses: readonly number[];
}

const PROMPT = 'Summarise what a gateway in front of model providers should log per request, in three sentences.';

function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: 256,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

function shots(secrets: SoakSecrets): Record<SoakKind, Shot> {
  const headers = (secret: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${secret}` });
  const chat = '/v1/chat/completions';
  return {
    'json-openai': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-openai', false), read: 'whole', statuses: [200] },
    'json-anthropic': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-anthropic', false), read: 'whole', statuses: [200] },
    'stream-openai': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-openai', true), read: 'stream', statuses: [200] },
    'stream-anthropic': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-anthropic', true), read: 'stream', statuses: [200] },
    'stream-cut-short': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-anthropic', true), read: 'cut', statuses: [200] },
    'dropped-at-once': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-openai', true), read: 'drop', statuses: [] },
    'bad-body': { path: chat, headers: headers(secrets.budget), body: '{"model": "bench-openai", "messages": [', read: 'whole', statuses: [400] },
    'unknown-model': { path: chat, headers: headers(secrets.budget), body: chatBody('bench-no-such-model', false), read: 'whole', statuses: [404] },
    // The first request of each minute passes.
    'rate-limited': { path: chat, headers: headers(secrets.limited), body: chatBody('bench-openai', false), read: 'whole', statuses: [429, 200] },
    'unknown-key': { path: chat, headers: headers('sk-bench-soak-no-such-key-0123456789'), body: chatBody('bench-openai', false), read: 'whole', statuses: [401] },
  };
}

export function emptyOutcomes(): SoakOutcomes {
  return Object.fromEntries(SOAK_CYCLE.map((kind) => [kind, { sent: 0, expected: 0, unexpected: {}, statuses: {} }])) as SoakOutcomes;
}

/**
 * One request of a kind; resolves with the outcome's key ("expected", a status, or "error")
 * and the status of the answer, if one came.
 * A whole stream must carry `chunks` stamped chunks; a cut-short client closes the
 * connection after CUT_AFTER_CHUNKS; a dropped client closes it right after sending.
 */
function fire(agent: Agent, port: number, shot: Shot, chunks: number): Promise<{ outcome: string; status: number | undefined }> {
  return new Promise((resolve) => {
    let settled = false;
    let status: number | undefined;
    const done = (outcome: string) => {
      if (settled) return;
      settled = true;
      resolve({ outcome, status });
    };
    const outgoing = request({ agent, host: '127.0.0.1', port, method: 'POST', path: shot.path, headers: { ...shot.headers, 'content-length': String(Buffer.byteLength(shot.body)) } }, (response) => {
      const answered = response.statusCode ?? 0;
      status = answered;
      if (!shot.statuses.includes(answered) || shot.read === 'whole') {
        response.resume();
        response.on('end', () => done(shot.statuses.includes(answered) ? 'expected' : String(answered)));
        response.on('error', () => done('error'));
        return;
      }
      response.setEncoding('latin1');
      let text = '';
      let scanFrom = 0;
      let seen = 0;
      response.on('data', (chunk: string) => {
        text += chunk;
        scanFrom = scanStamps(text, scanFrom, () => (seen += 1));
        if (shot.read === 'cut' && seen >= CUT_AFTER_CHUNKS) {
          outgoing.destroy();
          done('expected');
        }
      });
      response.on('end', () => done(shot.read === 'stream' && seen === chunks && text.includes('[DONE]') ? 'expected' : `${answered}, ${seen} chunks`));
      response.on('error', () => done('error'));
    });
    outgoing.on('error', () => done(shot.read === 'drop' ? 'expected' : 'error'));
    outgoing.end(shot.body);
    if (shot.read === 'drop') {
      // Sent, then gone: the gateway may or may not have handed it to the provider yet.
      setImmediate(() => {
        outgoing.destroy();
        done('expected');
      });
    }
  });
}

export interface SoakTrafficOptions {
  port: number;
  secrets: SoakSecrets;
  /** Requests per second, evenly paced (open loop). */
  rate: number;
  seconds: number;
  /** Content chunks of the mock's streams, so a whole stream can be checked. */
  chunks: number;
  /** Outcomes are added here (the warm-up passes its own). */
  outcomes: SoakOutcomes;
}

/** Sends the cycled mix at `rate` for `seconds`; resolves when every answer is in (or its client has left). */
export async function runSoakTraffic(options: SoakTrafficOptions): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: 'fifo' });
  const byKind = shots(options.secrets);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;
  const startedAt = performance.now();
  const pending: Promise<void>[] = [];
  let sent = 0;
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor((performance.now() - startedAt) / interval) + 1);
      for (; sent < due; sent++) {
        const kind = SOAK_CYCLE[sent % SOAK_CYCLE.length]!;
        const outcome = options.outcomes[kind];
        outcome.sent += 1;
        pending.push(
          fire(agent, options.port, byKind[kind], options.chunks).then((result) => {
            if (result.outcome === 'expected') outcome.expected += 1;
            else outcome.unexpected[result.outcome] = (outcome.unexpected[result.outcome] ?? 0) + 1;
            if (result.status !== undefined) outcome.statuses[result.status] = (outcome.statuses[result.status] ?? 0) + 1;
          }),
        );
      }
      // Settled requests are dropped from the list now and then, so a 30-minute run holds only what is in flight.
      if (pending.length > 4096) pending.splice(0, pending.length, ...(await settledOnly(pending)));
      await new Promise((wake) => setTimeout(wake, Math.max(0, startedAt + sent * interval - performance.now())));
    }
    await Promise.all(pending);
  } finally {
    agent.destroy();
  }
}

/** The promises of `list` still pending. */
async function settledOnly(list: Promise<void>[]): Promise<Promise<void>[]> {
  const marks = list.map((promise) => {
    const mark = { done: false, promise };
    void promise.then(() => (mark.done = true));
    return mark;
  });
  await new Promise((wake) => setImmediate(wake));
  return marks.filter((mark) => !mark.done).map((mark) => mark.promise);
}
