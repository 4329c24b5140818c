/** The abilities a request asks of its model, each named by where the request first asks for it. */
export type Capability = 'tools' | 'vision' | 'json_schema' | 'reasoning';

/**
 * What one client request needs of the model that serves it, in the client's own terms:
 * for each capability it uses, the path of the field that uses it first
 * ("tools", "messages[0].content[1]", "response_format", "reasoning_effort"), and the most
 * output it asks for.
 */
export interface RequestNeeds {
  readonly uses: Partial<Readonly<Record<Capability, string>>>;
  /** Output tokens the request allows at most; undefined when it sets no limit (the model's maximum applies). */
  readonly maxOutputTokens: number | undefined;
}
