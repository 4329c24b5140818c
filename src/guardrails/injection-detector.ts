import { regexFindings, type Detector, type Finding } from './detection.js';

/**
 * Where an instruction starts: the text's start, after a sentence end, a line break or a
 * quote, or after "please", "now", "ok", "and". Prose that talks about injections ("models
 * that ignore previous instructions") has the verb mid-sentence and is not matched.
 */
const LEAD = String.raw`(?:^|[.!?:;"'\n]\s*|\b(?:please|now|ok(?:ay)?|and|then)\s*,?\s+)`;

const PATTERNS: { detector: string; pattern: RegExp }[] = [
  {
    detector: 'instruction_override',
    pattern: new RegExp(
      String.raw`${LEAD}(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+|my\s+|these\s+|those\s+)*(?:previous|prior|above|earlier|preceding|original|system|initial|existing)\s+(?:instructions?|prompts?|rules|directions|guidelines|directives|context|messages?)`,
      'gi',
    ),
  },
  {
    detector: 'role_hijack',
    pattern: new RegExp(
      String.raw`${LEAD}(?:you\s+are\s+now\s+(?:a|an|in|the|my|DAN)\b|from\s+now\s+on,?\s+you\s+(?:are|will|must|shall)\b|act\s+as\s+(?:an?\s+)?(?:unrestricted|unfiltered|jailbroken|uncensored)|pretend\s+(?:to\s+be|you\s+are)\s+(?:an?\s+)?(?:unrestricted|unfiltered|jailbroken|uncensored|different)|enter\s+(?:developer|DAN|god)\s+mode)|<\|im_start\|>\s*system|\[INST\]|<<SYS>>|(?:^|\n)\s*(?:###\s*)?(?:system|assistant)\s*:\s`,
      'gi',
    ),
  },
  {
    detector: 'prompt_extraction',
    pattern: new RegExp(
      String.raw`${LEAD}(?:(?:reveal|print|show|repeat|output|display|dump|leak|tell\s+me|give\s+me|write\s+out)\s+(?:me\s+)?(?:all\s+|the\s+|your\s+|its\s+)*(?:system\s+prompt|initial\s+(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|original\s+instructions|instructions\s+(?:above|you\s+were\s+given))|what\s+(?:is|are|were)\s+your\s+(?:system\s+prompt|initial\s+instructions|hidden\s+instructions))`,
      'gi',
    ),
  },
];

/** Base64 runs long enough to carry an instruction. */
const BASE64 = /[A-Za-z0-9+/]{24,}={0,2}/g;

function plainFindings(text: string): Finding[] {
  return PATTERNS.flatMap(({ detector, pattern }) => regexFindings(text, pattern, detector));
}

/**
 * Known prompt-injection patterns: instruction override, role hijack (including chat-template
 * role markers), system prompt extraction, and any of those hidden in base64
 * (`encoded_payload`, the whole base64 run as its span).
 */
export const detectInjection: Detector = (text) => {
  const findings = plainFindings(text);
  for (const run of regexFindings(text, BASE64, 'encoded_payload')) {
    const decoded = Buffer.from(text.slice(run.start, run.end), 'base64').toString('utf8');
    // Only text that decodes to readable words can carry an instruction.
    if (/^[\x20-\x7e\s]+$/.test(decoded) && plainFindings(decoded).length > 0) findings.push(run);
  }
  return findings;
};
