import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { relayWholeLines } from '../../src/workers/relay-whole-lines.js';

describe('relayWholeLines', () => {
  test('two workers writing parts of lines: every write is whole lines, and no line mixes with another', async () => {
    const writes: string[] = [];
    const output = { write: (chunk: Buffer) => writes.push(chunk.toString()) };
    const [first, second] = [new PassThrough(), new PassThrough()];
    relayWholeLines(first, output);
    relayWholeLines(second, output);
    first.write('{"worker":0,"msg":"a');
    second.write('{"worker":1,"msg":"b"}\n{"worker":1,');
    first.write('"}\n{"worker":0,"msg":"c"}\n');
    second.end('"msg":"d"}\n');
    first.end('tail without newline');
    await new Promise((resolve) => setImmediate(resolve));
    for (const write of writes.slice(0, -1)) assert.ok(write.endsWith('\n'), JSON.stringify(write));
    const lines = writes.join('').split('\n').filter((line) => line.startsWith('{'));
    assert.deepEqual(lines.map((line) => JSON.parse(line).msg).sort(), ['a', 'b', 'c', 'd']);
    assert.ok(writes.join('').endsWith('tail without newline'));
  });
});
