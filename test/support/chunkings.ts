/** Ways to cut a byte stream into chunks, for tests that output must not depend on chunking. */
export function splitAt(bytes: Buffer, ...positions: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const position of [...positions].sort((left, right) => left - right)) {
    chunks.push(bytes.subarray(start, position));
    start = position;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** A small deterministic PRNG (mulberry32), so a failing random chunking can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomChunks(bytes: Buffer, random: () => number, maxChunk = 64): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(start, start + size));
    start += size;
  }
  return chunks;
}
