import type { Readable } from 'node:stream';

/**
 * Copies a worker's output to `output` in whole lines only. Workers batch their JSON log lines
 * into writes larger than a pipe's atomic size (PIPE_BUF, 4 KiB), so two workers writing to a
 * shared stdout could interleave mid-line; relayed through the one primary, each write ends
 * with a line, and lines from different workers never mix. A last unterminated part is written
 * when the worker's stream ends.
 */
export function relayWholeLines(input: Readable, output: { write(chunk: Buffer): unknown }): void {
  let pending: Buffer | undefined;
  input.on('data', (chunk: Buffer) => {
    const end = chunk.lastIndexOf(0x0a);
    if (end === -1) {
      pending = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      return;
    }
    const lines = chunk.subarray(0, end + 1);
    output.write(pending === undefined ? lines : Buffer.concat([pending, lines]));
    pending = end + 1 < chunk.length ? chunk.subarray(end + 1) : undefined;
  });
  input.on('end', () => {
    if (pending !== undefined) output.write(pending);
    pending = undefined;
  });
}
