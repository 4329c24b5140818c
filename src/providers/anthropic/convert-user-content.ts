import type { ChatMessage } from '../openai/openai-api.js';
import { invalidValue as invalid, unsupportedParameter as unsupported } from '../translation-errors.js';

export type AnthropicBlock = Record<string, unknown>;

type UserContent = Extract<ChatMessage, { role: 'user' }>['content'];

/** Whether a text has something besides whitespace: Anthropic refuses text blocks that do not. */
export function hasVisibleText(text: string | null | undefined): text is string {
  return typeof text === 'string' && /\S/.test(text);
}

/**
 * A user message's content as Anthropic blocks (https://docs.claude.com/en/api/messages):
 * text parts as text blocks, images as image blocks (or document blocks for PDFs), PDF files
 * as document blocks. Text that is empty or only whitespace is left out: Anthropic refuses the
 * whole request over such a block ("text content blocks must contain non-whitespace text"),
 * where OpenAI accepts it.
 */
export function convertUserContentToAnthropic(content: UserContent, messageIndex: number): AnthropicBlock[] {
  if (typeof content === 'string') return hasVisibleText(content) ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicBlock[] = [];
  content.forEach((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        if (hasVisibleText(part.text)) blocks.push({ type: 'text', text: part.text });
        return;
      case 'image_url':
        blocks.push(imageBlock(part.image_url.url, param));
        return;
      case 'input_audio':
        throw unsupported(param, 'Audio input is not supported by Anthropic models.');
      case 'file': {
        const fileData = part.file.file_data;
        if (typeof fileData !== 'string') throw unsupported(param, 'Anthropic models take files inline only (file_data as a PDF data URL); OpenAI file ids mean nothing to them.');
        const data = parseDataUrl(fileData);
        if (data?.mediaType !== 'application/pdf') throw unsupported(param, 'Anthropic models take PDF files only, as a base64 data URL ("data:application/pdf;base64,...").');
        blocks.push(documentBlock(data.data));
        return;
      }
      default: {
        const unhandled: never = part;
        throw unsupported(param, `Unsupported content part ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  return blocks;
}

/** The image types Anthropic accepts (https://docs.claude.com/en/docs/build-with-claude/vision). */
const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** "The maximum allowed image file size is 5MB per image" through the API (same page, "Image size"). */
const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/**
 * An OpenAI image part as an Anthropic block: a base64 data URL inline, an http(s) URL by
 * reference (Anthropic fetches it). OpenAI clients also send PDFs as image data URLs, which
 * become a document block (https://docs.claude.com/en/docs/build-with-claude/pdf-support).
 */
function imageBlock(url: string, param: string): AnthropicBlock {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const data = parseDataUrl(url);
  if (data && IMAGE_MEDIA_TYPES.has(data.mediaType)) {
    if (base64Bytes(data.data) > MAX_IMAGE_BYTES) throw invalid(`${param}.image_url.url`, 'Anthropic models take images of at most 5 MB.');
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  }
  if (data?.mediaType === 'application/pdf') return documentBlock(data.data);
  throw unsupported(
    param,
    'Anthropic models take images as an http(s) URL or a base64 data URL of type image/jpeg, image/png, image/gif or image/webp (or application/pdf).',
  );
}

function documentBlock(data: string): AnthropicBlock {
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } };
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mediaType: match[1].toLowerCase(), data: match[2] };
}

/** The decoded size of base64 text, without decoding it. */
function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.floor((data.length * 3) / 4) - padding;
}
