import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js/max';
import type { Detector, Finding } from './detection.js';

const require = createRequire(import.meta.url);

/**
 * Runs of digits with the separators phone numbers are written with, optionally after "+"
 * or "(": the only places a number can be. The library is slow on long texts (milliseconds
 * per 4 KB), so it only reads these candidates, each with a little context around it.
 */
const CANDIDATE = /[+(]?\d[\d\s().\-/]{5,24}\d/g;

/** Dates (2026-03-01, 01/03/2026, 01.03.2026), the commonest digit runs in prose: never phone numbers, and each library call costs ~0.1 ms. */
const DATE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})$/;

/**
 * Phone numbers as libphonenumber-js (Google's libphonenumber metadata, "max" set: numbers
 * are checked against each country's valid ranges, not only lengths) finds them in text:
 * international numbers (+44 20 7946 0958) anywhere, national ones in `region`'s formats.
 */
export function phoneDetector(region: string): Detector {
  // Loaded by the first policy that detects phone numbers, at configuration time: its
  // metadata is ~2 MiB of RSS that a sidecar without such a policy never needs.
  const { findPhoneNumbersInText } = require('libphonenumber-js/max') as typeof import('libphonenumber-js/max');
  return (text) => {
    const findings: Finding[] = [];
    CANDIDATE.lastIndex = 0;
    for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
      // E.164 numbers have at most 15 digits, and no country's numbers fewer than 7 with their area code.
      const digits = match[0].replace(/\D/g, '').length;
      if (digits < 7 || digits > 15 || DATE.test(match[0].trim())) continue;
      // A character either side, so the library sees where the candidate's words begin and end.
      const from = Math.max(0, match.index - 1);
      const window = text.slice(from, match.index + match[0].length + 1);
      for (const found of findPhoneNumbersInText(window, region as CountryCode)) {
        let start = from + found.startsAt;
        // "(+33 1 ...)": the library takes the opening parenthesis in; the number starts after it.
        if (text[start] === '(' && !text.slice(start, from + found.endsAt).includes(')')) start += 1;
        findings.push({ start, end: from + found.endsAt, detector: 'phone' });
      }
    }
    return findings;
  };
}
