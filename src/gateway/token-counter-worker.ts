import { parentPort } from 'node:worker_threads';
import { get_encoding } from 'tiktoken';

/**
 * The tokenizer's thread (see token-counter.ts). encode_ordinary: text that looks like a
 * special token (`<|endoftext|>`) in a prompt is plain text, never an error.
 */
const encoding = get_encoding('o200k_base');

parentPort!.on('message', ({ id, text }: { id: number; text: string }) => {
  parentPort!.postMessage({ id, count: encoding.encode_ordinary(text).length });
});
