import type { TokenCounting } from '../endpoints/endpoint.js';

/**
 * A token counter that counts each distinct text once, for one request. A request's checks
 * ask for the same prompt several times: a route rule's token range, each candidate's
 * context window when a route chooses the cheapest, the chosen model's targets, its
 * context policy's larger model. Each count is a message round trip to the tokenizer's
 * thread and tens of milliseconds for a long prompt; the answer for a text never changes.
 * A refused count (the caller failed authentication) is remembered as refused too.
 */
export function countOnce(counter: TokenCounting): TokenCounting {
  const counted = new Map<string, Promise<number>>();
  return {
    count(text) {
      let found = counted.get(text);
      if (found === undefined) {
        found = counter.count(text);
        counted.set(text, found);
      }
      return found;
    },
  };
}
