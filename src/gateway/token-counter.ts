/**
 * Counts tokens where no provider reported them (a stream cut off before its usage
 * arrived). It uses gpt-tokenizer's o200k_base encoding (OpenAI's current one; for other
 * providers' tokenizers it is an estimate, and always labelled as one). The encoding takes
 * about 0.25 s and 60 MB to load, so it loads in the background at start and the rare
 * estimate made before that uses about four characters per token.
 */
export interface TokenCounter {
  count(text: string): number;
}

export function createTokenCounter(): TokenCounter {
  let countTokens: ((text: string) => number) | undefined;
  import('gpt-tokenizer/encoding/o200k_base').then(
    (module) => (countTokens = module.countTokens),
    () => undefined,
  );
  return {
    count(text) {
      if (text.length === 0) return 0;
      return countTokens ? countTokens(text) : Math.ceil(text.length / 4);
    },
  };
}
