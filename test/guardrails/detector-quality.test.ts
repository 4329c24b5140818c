import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Finding } from '../../src/guardrails/detection.js';
import { detectInjection } from '../../src/guardrails/injection-detector.js';
import { piiScanner } from '../../src/guardrails/pii-scanner.js';
import { CARD, EMAIL, IBAN, INJECTION, IP, PHONE, SECRET, SSN, type Example } from './labelled-sets.js';

/** Precision and recall of a detector on a labelled set: a positive counts when its value is found exactly. */
export function quality(examples: readonly Example[], detect: (text: string) => Finding[], exact = true): { precision: number; recall: number; tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const { text, value } of examples) {
    const findings = detect(text);
    if (value === undefined) {
      fp += findings.length;
      continue;
    }
    const hit = findings.find((finding) => !exact || text.slice(finding.start, finding.end) === value);
    if (hit === undefined) fn += 1;
    else tp += 1;
    fp += findings.filter((finding) => finding !== hit).length;
  }
  return { precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), tp, fp, fn };
}

const only = (name: Parameters<typeof piiScanner>[0][number]) => piiScanner([name], 'US');

const SETS: [string, readonly Example[], (text: string) => Finding[], boolean][] = [
  ['email', EMAIL, only('email'), true],
  ['phone', PHONE, only('phone'), true],
  ['card', CARD, only('card'), true],
  ['iban', IBAN, only('iban'), true],
  ['ssn', SSN, only('ssn'), true],
  ['ip', IP, only('ip'), true],
  ['secret', SECRET, only('secret'), true],
  ['prompt_injection', INJECTION, detectInjection, false],
];

describe('detector quality on the labelled sets', () => {
  for (const [name, examples, detect, exact] of SETS) {
    test(`${name}: precision and recall`, (context) => {
      const figures = quality(examples, detect, exact);
      context.diagnostic(`${name}: ${examples.length} examples, precision ${figures.precision.toFixed(3)}, recall ${figures.recall.toFixed(3)} (tp ${figures.tp}, fp ${figures.fp}, fn ${figures.fn})`);
      assert.ok(examples.filter((example) => example.value !== undefined).length >= 150, 'a few hundred examples');
      assert.ok(figures.precision >= 0.95, `${name} precision ${figures.precision}`);
      assert.ok(figures.recall >= 0.9, `${name} recall ${figures.recall}`);
    });
  }

  test('look-alikes are not findings', () => {
    const all = piiScanner(['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'], 'US');
    for (const text of ['Order 1234567812345670 shipped', 'upgrade to version 1.2.3.4 today', 'running v10.2.3.4', 'meet at 12:30:45']) {
      assert.deepEqual(all(text), [], text);
    }
    assert.deepEqual(detectInjection('The paper explains why models ignore previous instructions.'), []);
  });
});
