import type { DocumentBlockParam, ImageBlockParam, TextBlockParam } from '../../api/anthropic-messages/content-block.js';
import type { OpenAIChatTarget } from './openai-chat-target.js';
import { refuseUnhandledFields, untranslatable } from './refuse-untranslatable.js';

/** A Chat Completions content part (openai-openapi `ChatCompletionRequestMessageContentPart`). */
export type OpenAIContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'file'; file: { filename: string; file_data: string } };

export type OpenAITextPart = Extract<OpenAIContentPart, { type: 'text' }>;

/**
 * Fields that change nothing an OpenAI-compatible model is asked, so they are dropped:
 * cache_control (a prompt-cache breakpoint; OpenAI caches prompts by itself) and citations
 * on a text block (references to earlier documents; the text itself is kept).
 */
const TEXT_FIELDS: ReadonlySet<string> = new Set(['type', 'text', 'cache_control', 'citations']);
const IMAGE_FIELDS: ReadonlySet<string> = new Set(['type', 'source', 'cache_control']);
const DOCUMENT_FIELDS: ReadonlySet<string> = new Set(['type', 'source', 'title', 'context', 'citations', 'cache_control']);

export function textPart(block: TextBlockParam, path: string): OpenAITextPart {
  refuseUnhandledFields(block, TEXT_FIELDS, path);
  return { type: 'text', text: block.text };
}

/**
 * Text blocks as message content: one block is a plain string (the form every
 * OpenAI-compatible server takes), several are text parts, which keeps their boundaries
 * (Chat Completions takes text-part arrays for every role).
 */
export function textContent(blocks: readonly TextBlockParam[], path: string): string | OpenAITextPart[] {
  const parts = blocks.map((block, index) => textPart(block, `${path}.${index}`));
  return parts.length === 1 ? parts[0]!.text : parts;
}

/**
 * An image: base64 data becomes a data URL, a URL stays a URL (https://platform.openai.com/docs/guides/images-vision).
 * An id from Anthropic's Files API means nothing to another provider.
 */
export function imagePart(block: ImageBlockParam, path: string): OpenAIContentPart {
  refuseUnhandledFields(block, IMAGE_FIELDS, path);
  const source = block.source;
  switch (source.type) {
    case 'base64':
      return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    case 'url':
      return { type: 'image_url', image_url: { url: source.url } };
    case 'file':
      throw untranslatable(`${path}.source`, 'Files uploaded to Anthropic cannot be read by an OpenAI-compatible model; send the image as base64 or a URL.');
    default: {
      const unhandled: never = source;
      return unhandled;
    }
  }
}

/**
 * A document as content parts:
 * - a base64 PDF: OpenAI's `file` part with the PDF as a data URL
 *   (https://platform.openai.com/docs/guides/pdf-files), the title as its filename, and the
 *   context, if any, as a text part before it. Refused for a target that takes no file parts.
 * - plain text: a text part; the title and context, if any, lead it, separated by blank lines.
 * - content (text and image blocks): those blocks as parts.
 * - a URL or a Files API id: refused; the gateway does not fetch documents for the model.
 * - `citations: {enabled: true}` asks for an answer that cites the document in citation
 *   blocks, which no OpenAI-compatible model writes: refused.
 */
export function documentParts(block: DocumentBlockParam, path: string, target: OpenAIChatTarget): OpenAIContentPart[] {
  refuseUnhandledFields(block, DOCUMENT_FIELDS, path);
  if (block.citations?.enabled) {
    throw untranslatable(`${path}.citations`, 'Citations are an Anthropic feature; an OpenAI-compatible model cannot answer with them.');
  }
  const source = block.source;
  switch (source.type) {
    case 'base64': {
      if (!target.fileParts) throw untranslatable(`${path}.source`, 'This model cannot read PDF documents; send the text instead.');
      const parts: OpenAIContentPart[] = block.context ? [{ type: 'text', text: block.context }] : [];
      parts.push({ type: 'file', file: { filename: block.title || 'document.pdf', file_data: `data:application/pdf;base64,${source.data}` } });
      return parts;
    }
    case 'text':
      return [{ type: 'text', text: [block.title, block.context, source.data].filter((text) => text).join('\n\n') }];
    case 'content': {
      if (typeof source.content === 'string') return [{ type: 'text', text: source.content }];
      return source.content.map((inner, index) => {
        const innerPath = `${path}.source.content.${index}`;
        return inner.type === 'text' ? textPart(inner, innerPath) : imagePart(inner, innerPath);
      });
    }
    case 'url':
      throw untranslatable(`${path}.source`, 'The gateway does not fetch documents by URL for an OpenAI-compatible model; send the document as base64 or text.');
    case 'file':
      throw untranslatable(`${path}.source`, 'Files uploaded to Anthropic cannot be read by an OpenAI-compatible model; send the document as base64 or text.');
    default: {
      const unhandled: never = source;
      return unhandled;
    }
  }
}
