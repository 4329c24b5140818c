/** One server-sent event in its wire form. Multi-line data becomes several `data:` lines. */
export function encodeSseEvent(data: string, event?: string): string {
  const lines = data.includes('\n') ? data.split(/\r?\n/).map((line) => `data: ${line}`).join('\n') : `data: ${data}`;
  return event ? `event: ${event}\n${lines}\n\n` : `${lines}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';
