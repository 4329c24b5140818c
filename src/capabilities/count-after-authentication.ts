import type { TokenCounting } from '../endpoints/endpoint.js';

/**
 * A token counter that counts only for a caller who has authenticated. The context-window
 * check runs before admission (it decides which targets, and so which route, are admitted),
 * and counting a large prompt costs the tokenizer's thread tens of milliseconds: an
 * unauthenticated client must not be able to buy that with requests that are refused anyway.
 * `identify` (Governance.identify) is asked only when a count is needed; its refusal (401,
 * 503) becomes the request's refusal, and nothing is counted.
 */
export function countAfterAuthentication(identify: () => Promise<unknown> | undefined, counter: TokenCounting): TokenCounting {
  return {
    count(text) {
      const identified = identify();
      return identified === undefined ? counter.count(text) : identified.then(() => counter.count(text));
    },
  };
}
