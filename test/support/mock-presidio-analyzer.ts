import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Presidio's analyzer REST API (POST /analyze): reads `{text, language,
 * entities?, score_threshold?}`, answers 400 without text or language as Presidio does, and
 * finds PERSON (a few known names) and LOCATION (a few cities) with Presidio's result shape
 * `{entity_type, start, end, score, analysis_explanation, recognition_metadata}`.
 */
export interface MockAnalyzer {
  readonly url: string;
  readonly requests: { text: string; language: string; entities?: string[] }[];
  /** Answers the next calls this many milliseconds late. */
  delayMs: number;
  close(): Promise<void>;
}

const RECOGNISERS: [string, RegExp][] = [
  ['PERSON', /\b(?:John Smith|Maria Garcia|Wei Zhang)\b/g],
  ['LOCATION', /\b(?:Paris|Berlin|Springfield)\b/g],
];

export async function startMockAnalyzer(): Promise<MockAnalyzer> {
  const state = { delayMs: 0 };
  const requests: MockAnalyzer['requests'] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const answer = () => {
        let parsed: { text?: unknown; language?: unknown; entities?: string[]; score_threshold?: number };
        try {
          parsed = JSON.parse(body) as typeof parsed;
        } catch {
          parsed = {};
        }
        if (request.method !== 'POST' || request.url !== '/analyze' || typeof parsed.text !== 'string' || typeof parsed.language !== 'string') {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'No text provided' }));
          return;
        }
        requests.push({ text: parsed.text, language: parsed.language, ...(parsed.entities ? { entities: parsed.entities } : {}) });
        const results = RECOGNISERS.filter(([entity]) => parsed.entities === undefined || parsed.entities.includes(entity)).flatMap(([entity, pattern]) =>
          [...(parsed.text as string).matchAll(pattern)].map((match) => ({ entity_type: entity, start: match.index, end: match.index + match[0].length, score: 0.85, analysis_explanation: null, recognition_metadata: { recognizer_name: 'SpacyRecognizer' } })),
        );
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(results));
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/analyze`,
    requests,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
