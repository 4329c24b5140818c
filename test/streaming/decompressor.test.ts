import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { contentEncodingOf, decompressWhole, StreamDecompressor, type ContentEncoding } from '../../src/streaming/decompressor.js';
import { randomChunks, seededRandom } from '../support/chunkings.js';

const text = Buffer.from('data: {"choices":[{"delta":{"content":"héllo"}}]}\n\n'.repeat(50));
const compressors: Record<ContentEncoding, (input: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };

describe('decompressor', () => {
  test('recognises the encodings it can undo', () => {
    assert.equal(contentEncodingOf('GZIP'), 'gzip');
    assert.equal(contentEncodingOf('x-gzip'), 'gzip');
    assert.equal(contentEncodingOf('br'), 'br');
    assert.equal(contentEncodingOf('identity'), undefined);
    assert.equal(contentEncodingOf(undefined), undefined);
  });

  for (const encoding of ['gzip', 'deflate', 'br'] as const) {
    test(`${encoding}: whole bodies and any chunking of a stream give the original bytes`, async () => {
      const compressed = compressors[encoding](text);
      assert.deepEqual(decompressWhole(compressed, encoding), text);
      const random = seededRandom(3);
      for (let round = 0; round < 20; round += 1) {
        const decompressor = new StreamDecompressor(encoding);
        const out: Buffer[] = [];
        for (const chunk of randomChunks(compressed, random, 97)) out.push(await decompressor.push(chunk));
        out.push(await decompressor.end());
        assert.deepEqual(Buffer.concat(out), text, `round ${round}`);
      }
    });
  }

  test('each flushed chunk yields its text right away, not only at the end', async () => {
    const decompressor = new StreamDecompressor('gzip');
    const compressed = gzipSync(text);
    const first = await decompressor.push(compressed.subarray(0, compressed.length - 8));
    assert.ok(first.length > text.length / 2, 'most of the text is available before the gzip trailer arrives');
  });

  test('corrupt input is reported, not swallowed', async () => {
    const decompressor = new StreamDecompressor('gzip');
    await assert.rejects(decompressor.push(Buffer.from('not gzip at all')));
  });
});
