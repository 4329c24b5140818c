import {
  brotliDecompressSync,
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gunzipSync,
  inflateSync,
  type BrotliDecompress,
  type Gunzip,
  type Inflate,
} from 'node:zlib';

/**
 * Upstream compression, undone so that translation and metering read plain bytes. The
 * gateway asks providers for `accept-encoding: identity`, so this is the rare path: a
 * server that compresses anyway. Framing only; nothing here knows what the bytes mean.
 */
export type ContentEncoding = 'gzip' | 'deflate' | 'br';

/** The encoding the gateway can undo, or undefined for identity (or one it cannot, left alone). */
export function contentEncodingOf(header: string | undefined): ContentEncoding | undefined {
  const value = header?.trim().toLowerCase();
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  if (value === 'br') return 'br';
  return undefined;
}

export function decompressWhole(body: Buffer, encoding: ContentEncoding): Buffer {
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  return brotliDecompressSync(body);
}

/** Incremental decompression of a streamed body: each chunk yields what can be decoded so far. */
export class StreamDecompressor {
  readonly #stream: Gunzip | Inflate | BrotliDecompress;
  readonly #flushKind: number;
  #failure: Error | undefined;

  constructor(encoding: ContentEncoding) {
    this.#stream = encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : createBrotliDecompress();
    this.#flushKind = encoding === 'br' ? constants.BROTLI_OPERATION_FLUSH : constants.Z_SYNC_FLUSH;
    this.#stream.on('error', (error) => (this.#failure = error));
  }

  push(chunk: Buffer): Promise<Buffer> {
    return this.#settle((done) => {
      if (chunk.length > 0) this.#stream.write(chunk);
      this.#stream.flush(this.#flushKind, done);
    });
  }

  end(): Promise<Buffer> {
    return this.#settle((done) => this.#stream.end(done));
  }

  /** Runs one operation; corrupt input fails it (zlib then never calls back). */
  #settle(operation: (done: () => void) => void): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      const onError = (error: Error) => reject(error);
      this.#stream.once('error', onError);
      operation(() => {
        this.#stream.off('error', onError);
        if (this.#failure) reject(this.#failure);
        else resolve(this.#drain());
      });
    });
  }

  #drain(): Buffer {
    const chunks: Buffer[] = [];
    for (let chunk = this.#stream.read() as Buffer | null; chunk !== null; chunk = this.#stream.read() as Buffer | null) chunks.push(chunk);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
}
