import type { ProviderKind } from '../config/schema.js';
import { anthropicAdapter } from './anthropic/anthropic-adapter.js';
import { azureOpenAIAdapter } from './azure-openai/azure-openai-adapter.js';
import { geminiAdapter } from './gemini/gemini-adapter.js';
import { openAIAdapter } from './openai/openai-adapter.js';
import type { ProviderAdapter } from './provider-adapter.js';

/** Provider kind -> adapter. Kinds without an adapter are refused at start, not at request time. */
export type ProviderRegistry = ReadonlyMap<ProviderKind, ProviderAdapter>;

export function createProviderRegistry(): ProviderRegistry {
  return new Map<ProviderKind, ProviderAdapter>([
    ['openai', openAIAdapter],
    ['azure-openai', azureOpenAIAdapter],
    ['anthropic', anthropicAdapter],
    ['gemini', geminiAdapter],
  ]);
}
