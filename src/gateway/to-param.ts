/** A path into the request as OpenAI names parameters: `messages[0].content[1].image_url.url`. */
export function toParam(path: readonly PropertyKey[]): string {
  let param = '';
  for (const key of path) {
    if (typeof key === 'number') param += `[${key}]`;
    else param += param ? `.${String(key)}` : String(key);
  }
  return param;
}
