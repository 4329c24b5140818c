import type { ClientFormat, EndpointName } from '../endpoints/endpoint.js';
import type { GatewayError } from '../errors.js';
import { AnswerStreamFilter } from './answer-stream-filter.js';
import { AnswerTextChecker, type OutputViolation } from './answer-text-checker.js';
import type { GuardrailDecision, GuardrailObserver } from './guardrail-observer.js';
import type { Guardrail } from './guardrail-policies.js';
import type { Moderate } from './gateway-moderator.js';
import { guardrailBlocked, guardrailUnavailable, inspectInput, type AnalyzerResults } from './inspect-input.js';
import { moderationVerdict } from './moderation-verdict.js';
import { answerTexts } from './answer-texts.js';
import type { Finding } from './detection.js';
import { joinedText } from './rewrite-group.js';
import { PlaceholderVault, StreamRestorer } from './placeholder-vault.js';
import { chatRequestTexts, embeddingsRequestTexts, messagesRequestTexts, moderationsRequestTexts, type TextGroup } from './request-texts.js';
import { rewriteAnswerBody } from './rewrite-answer-body.js';

/** The texts of a request of an endpoint guardrails apply to; undefined for the others (/v1/models). */
function requestTexts(endpoint: EndpointName, request: unknown): TextGroup[] | undefined {
  if (endpoint === 'chat.completions') return chatRequestTexts(request as { messages: unknown[] });
  // The messages endpoint's parsed call wraps the request with its headers' values.
  // count_tokens sends the same texts to the provider (Anthropic counts them), so they are checked and masked alike.
  if (endpoint === 'messages' || endpoint === 'messages.count_tokens') return messagesRequestTexts((request as { request: { system?: unknown; messages: unknown[] } }).request);
  if (endpoint === 'embeddings') return embeddingsRequestTexts(request as { input: unknown });
  if (endpoint === 'moderations') return moderationsRequestTexts(request as { input: unknown });
  return undefined;
}

type Moderation = Extract<Guardrail, { kind: 'moderation' }>;

/** What a moderation guardrail found in one call: a category (detector), nothing, or no verdict (the call failed). */
type ModerationOutcome = { guardrail: Moderation; detector: string | undefined } | { guardrail: Moderation; failed: true };

/**
 * Endpoints whose texts a moderation model classifies: conversations. Not count_tokens and
 * embeddings (nothing is generated), and never /v1/moderations itself (the guardrail's own
 * call would ask again, without end).
 */
const MODERATED_ENDPOINTS: ReadonlySet<EndpointName> = new Set(['chat.completions', 'messages']);

/** What a request guard is given besides its guardrails. */
export interface RequestGuardContext {
  requestId: string;
  keyAlias: string | undefined;
  observer: GuardrailObserver;
  now: () => number;
  /** Calls the gateway's moderation models; absent: a moderation guardrail's call fails (its on_error decides). */
  moderate?: Moderate | undefined;
  /** The client's credential, sent with moderation calls through the gateway (never logged). */
  credential?: string | undefined;
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
  readonly #moderations: Moderation[];
  readonly #moderate: Moderate | undefined;
  readonly #credential: string | undefined;
  /** Whether the answer is moderated (its request is for a conversation endpoint). */
  #moderatesAnswer = false;
  #keyAlias: string | undefined;
  /** The first guardrail that cut the answer, for the access log. */
  #cutBy: string | undefined;
  /** The guardrail that refused the request, for the access log. */
  #blockedBy: string | undefined;

  constructor(guardrails: readonly Guardrail[], format: ClientFormat, context: RequestGuardContext) {
    this.#guardrails = guardrails;
    this.#format = format;
    this.#observer = context.observer;
    this.#now = context.now;
    this.#requestId = context.requestId;
    this.#keyAlias = context.keyAlias;
    this.#denyLists = guardrails.filter((guardrail) => guardrail.kind === 'deny_list');
    this.#moderations = guardrails.filter((guardrail) => guardrail.kind === 'moderation');
    this.#moderate = context.moderate;
    this.#credential = context.credential;
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
    const moderated = MODERATED_ENDPOINTS.has(endpoint);
    this.#moderatesAnswer = moderated && this.#moderations.some((guardrail) => guardrail.output);
    const classifiers = moderated ? this.#moderations.filter((guardrail) => guardrail.input) : [];
    const outcome = this.#inspectRules(groups);
    if (classifiers.length === 0) return outcome;
    // Classifiers read the request as the provider will (masked values masked), after the rules passed it.
    const classify = (refusal: GatewayError | undefined) => refusal ?? this.#classify(classifiers, groups);
    return outcome instanceof Promise ? outcome.then(classify) : classify(outcome);
  }

  /** The rules and analysers over the request's texts. */
  #inspectRules(groups: TextGroup[]): GatewayError | undefined | Promise<GatewayError | undefined> {
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

  /**
   * Input classification: user text and tool results (each message's text one input), asked
   * of each moderation guardrail on `input` at once. The first (in order) that finds a
   * category refuses (block) or records it (log); one whose call failed refuses with a 503
   * (on_error closed) or records `unavailable` (open).
   */
  async #classify(classifiers: readonly Moderation[], groups: readonly TextGroup[]): Promise<GatewayError | undefined> {
    const texts = groups.filter((group) => group.role === 'user' || group.role === 'tool').map(joinedText).filter((text) => text.trim().length > 0);
    if (texts.length === 0) return undefined;
    const outcomes = await Promise.all(classifiers.map((guardrail) => this.#ask(guardrail, texts)));
    for (const outcome of outcomes) {
      const name = outcome.guardrail.name;
      if ('failed' in outcome) {
        const closed = outcome.guardrail.onError === 'closed';
        this.#decided({ guardrail: name, detector: 'moderation', action: closed ? 'blocked' : 'unavailable', stage: 'input', count: 0 });
        if (closed) {
          this.#blockedBy = name;
          return guardrailUnavailable(name);
        }
        continue;
      }
      if (outcome.detector === undefined) continue;
      const block = outcome.guardrail.action === 'block';
      this.#decided({ guardrail: name, detector: outcome.detector, action: block ? 'blocked' : 'logged', stage: 'input', count: 1 });
      if (block) {
        this.#blockedBy = name;
        return guardrailBlocked(name, outcome.detector, 'input');
      }
    }
    return undefined;
  }

  /** One moderation guardrail's verdict on `texts`; never rejects. */
  #ask(guardrail: Moderation, texts: readonly string[]): Promise<ModerationOutcome> {
    if (this.#moderate === undefined) return Promise.resolve({ guardrail, failed: true });
    return this.#moderate({ model: guardrail.model, texts, credential: this.#credential, timeoutMs: guardrail.timeoutMs }).then(
      (results): ModerationOutcome => ({ guardrail, detector: moderationVerdict(results, guardrail.rule) }),
      (): ModerationOutcome => ({ guardrail, failed: true }),
    );
  }

  /**
   * Output moderation of answer texts (as the provider wrote them: placeholders, not values):
   * reports what each guardrail found; true when the answer must be cut (a blocking
   * category, or a fail-closed call that failed).
   */
  async #moderateAnswer(texts: readonly string[]): Promise<boolean> {
    const asked = texts.filter((text) => text.trim().length > 0);
    if (asked.length === 0) return false;
    const outcomes = await Promise.all(this.#moderations.filter((guardrail) => guardrail.output).map((guardrail) => this.#ask(guardrail, asked)));
    let cut = false;
    for (const outcome of outcomes) {
      const name = outcome.guardrail.name;
      if ('failed' in outcome) {
        const closed = outcome.guardrail.onError === 'closed';
        if (closed) this.#cutBy ??= name;
        this.#decided({ guardrail: name, detector: 'moderation', action: closed ? 'cut' : 'unavailable', stage: 'output', count: 0 });
        cut ||= closed;
      } else if (outcome.detector !== undefined) {
        this.#violated({ guardrail: name, detector: outcome.detector, action: outcome.guardrail.action });
        cut ||= outcome.guardrail.action === 'block';
      }
    }
    return cut;
  }

  #decided(decision: GuardrailDecision): void {
    this.#observer.decided(decision, { requestId: this.#requestId, keyAlias: this.#keyAlias });
  }

  /** Whether the answer needs guardrails (restoring masked values, deny lists, a moderation model). */
  get watchesAnswer(): boolean {
    return this.#vault.size > 0 || this.#denyLists.length > 0 || this.#moderatesAnswer;
  }

  /**
   * A whole answer (client format) with output guardrails applied; undefined: unchanged. A
   * promise while a moderation model is asked (its text first, then the rules).
   */
  rewriteBody(body: Buffer): Buffer | undefined | Promise<Buffer | undefined> {
    if (!this.#moderatesAnswer) return this.#rewriteBody(body, false);
    const texts = answerTexts(body, this.#format);
    if (texts.length === 0) return this.#rewriteBody(body, false);
    return this.#moderateAnswer(texts).then((cut) => this.#rewriteBody(body, cut));
  }

  #rewriteBody(body: Buffer, cut: boolean): Buffer | undefined {
    const started = this.#now();
    const out = rewriteAnswerBody(body, this.#format, this.#vault, () => this.#newChecker(), (violation) => this.#violated(violation), cut);
    this.#observer.timed('output', (this.#now() - started) / 1000);
    return out;
  }

  /** A filter for the streamed answer (client format). */
  streamFilter(): { push(chunk: Buffer, endOfStream: boolean): Buffer | Promise<Buffer> } {
    const vault = this.#vault;
    const filter = new AnswerStreamFilter(this.#format, {
      newChecker: () => this.#newChecker(),
      onViolation: (violation) => this.#violated(violation),
      newArgumentRestorer: vault.size > 0 ? () => new StreamRestorer(vault, 'json') : undefined,
      moderate: this.#moderatesAnswer ? (text) => this.#moderateAnswer([text]) : undefined,
    });
    let spent = 0;
    return {
      push: (chunk, endOfStream) => {
        const started = this.#now();
        const out = filter.push(chunk, endOfStream);
        // The filter's own time; a moderation call's wait is the moderation model's request (its own metrics).
        spent += this.#now() - started;
        // One observation per answer, as for a whole one: one per chunk cost about as much as the filter.
        if (endOfStream) this.#observer.timed('output', spent / 1000);
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
