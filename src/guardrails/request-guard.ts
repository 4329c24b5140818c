import type { ClientFormat, EndpointName } from '../endpoints/endpoint.js';
import type { GatewayError } from '../errors.js';
import { AnswerStreamFilter } from './answer-stream-filter.js';
import { AnswerTextChecker, type OutputViolation } from './answer-text-checker.js';
import type { GuardrailObserver } from './guardrail-observer.js';
import type { Guardrail } from './guardrail-policies.js';
import { inspectInput, type AnalyzerResults } from './inspect-input.js';
import type { Finding } from './detection.js';
import { joinedText } from './rewrite-group.js';
import { PlaceholderVault, StreamRestorer } from './placeholder-vault.js';
import { chatRequestTexts, embeddingsRequestTexts, messagesRequestTexts, type TextGroup } from './request-texts.js';
import { rewriteAnswerBody } from './rewrite-answer-body.js';

/** The texts of a request of an endpoint guardrails apply to; undefined for the others (/v1/models). */
function requestTexts(endpoint: EndpointName, request: unknown): TextGroup[] | undefined {
  if (endpoint === 'chat.completions') return chatRequestTexts(request as { messages: unknown[] });
  // The messages endpoint's parsed call wraps the request with its headers' values.
  // count_tokens sends the same texts to the provider (Anthropic counts them), so they are checked and masked alike.
  if (endpoint === 'messages' || endpoint === 'messages.count_tokens') return messagesRequestTexts((request as { request: { system?: unknown; messages: unknown[] } }).request);
  if (endpoint === 'embeddings') return embeddingsRequestTexts(request as { input: unknown });
  return undefined;
}

/**
 * One request's guardrails, from its request to its answer. Holds the request's masked
 * values (the vault) and nothing else; dropped with the request's processor.
 */
export class RequestGuard {
  readonly #guardrails: readonly Guardrail[];
  readonly #observer: GuardrailObserver;
  readonly #format: ClientFormat;
  readonly #now: () => number;
  readonly #vault = new PlaceholderVault();
  readonly #denyLists: Extract<Guardrail, { kind: 'deny_list' }>[];
  readonly #requestId: string;
  #keyAlias: string | undefined;
  /** The first guardrail that cut the answer, for the access log. */
  #cutBy: string | undefined;
  /** The guardrail that refused the request, for the access log. */
  #blockedBy: string | undefined;

  constructor(guardrails: readonly Guardrail[], format: ClientFormat, context: { requestId: string; keyAlias: string | undefined; observer: GuardrailObserver; now: () => number }) {
    this.#guardrails = guardrails;
    this.#format = format;
    this.#observer = context.observer;
    this.#now = context.now;
    this.#requestId = context.requestId;
    this.#keyAlias = context.keyAlias;
    this.#denyLists = guardrails.filter((guardrail) => guardrail.kind === 'deny_list');
  }

  /** Whether values were masked: the answer depends on this request's values, so it is neither cached nor served from the cache. */
  get masked(): boolean {
    return this.#vault.size > 0;
  }

  /** The guardrail that ended the answer, if one did. */
  get cutBy(): string | undefined {
    return this.#cutBy;
  }

  /** The guardrail that refused the request, if one did. */
  get blockedBy(): string | undefined {
    return this.#blockedBy;
  }

  set keyAlias(alias: string | undefined) {
    this.#keyAlias = alias;
  }

  /**
   * Checks (and masks or redacts, in place) the parsed request. Returns the refusal when a
   * guardrail blocks it (a 400 `guardrail_blocked` naming the guardrail and detector).
   */
  inspect(endpoint: EndpointName, request: unknown): GatewayError | undefined | Promise<GatewayError | undefined> {
    const groups = requestTexts(endpoint, request);
    if (groups === undefined) return undefined;
    const analyzers = this.#guardrails.filter((guardrail) => guardrail.kind === 'analyzer');
    const started = this.#now();
    if (analyzers.length === 0) return this.#inspectGroups(groups, new Map(), started);
    // Every analyser reads every text at once; a failed or late call is undefined (its on_error decides).
    return Promise.all(
      analyzers.map((analyzer) =>
        Promise.all(groups.map((group) => analyzer.analyze(joinedText(group)))).then(
          (findings): [string, Finding[][] | undefined] => [analyzer.name, findings],
          (): [string, Finding[][] | undefined] => [analyzer.name, undefined],
        ),
      ),
    ).then((results) => this.#inspectGroups(groups, new Map(results), started));
  }

  #inspectGroups(groups: TextGroup[], analyzed: AnalyzerResults, started: number): GatewayError | undefined {
    const outcome = inspectInput(this.#guardrails, groups, this.#vault, analyzed);
    this.#observer.timed('input', (this.#now() - started) / 1000);
    for (const decision of outcome.decisions) this.#observer.decided(decision, { requestId: this.#requestId, keyAlias: this.#keyAlias });
    if (outcome.refusal !== undefined) this.#blockedBy = outcome.decisions.at(-1)?.guardrail;
    return outcome.refusal;
  }

  /** Whether the answer needs guardrails (restoring masked values, deny lists). */
  get watchesAnswer(): boolean {
    return this.#vault.size > 0 || this.#denyLists.length > 0;
  }

  /** A whole answer (client format) with output guardrails applied; undefined: unchanged. */
  rewriteBody(body: Buffer): Buffer | undefined {
    const started = this.#now();
    const out = rewriteAnswerBody(body, this.#format, this.#vault, () => this.#newChecker(), (violation) => this.#violated(violation));
    this.#observer.timed('output', (this.#now() - started) / 1000);
    return out;
  }

  /** A filter for the streamed answer (client format). */
  streamFilter(): { push(chunk: Buffer, endOfStream: boolean): Buffer } {
    const vault = this.#vault;
    const filter = new AnswerStreamFilter(this.#format, {
      newChecker: () => this.#newChecker(),
      onViolation: (violation) => this.#violated(violation),
      newArgumentRestorer: vault.size > 0 ? () => new StreamRestorer(vault, 'json') : undefined,
    });
    return {
      push: (chunk, endOfStream) => {
        const started = this.#now();
        const out = filter.push(chunk, endOfStream);
        this.#observer.timed('output', (this.#now() - started) / 1000);
        return out;
      },
    };
  }

  #newChecker(): AnswerTextChecker {
    return new AnswerTextChecker(this.#vault, this.#denyLists);
  }

  #violated(violation: OutputViolation): void {
    if (violation.action === 'block') this.#cutBy ??= violation.guardrail;
    this.#observer.decided(
      { guardrail: violation.guardrail, detector: violation.detector, action: violation.action === 'block' ? 'cut' : 'logged', stage: 'output', count: 1 },
      { requestId: this.#requestId, keyAlias: this.#keyAlias },
    );
  }
}
