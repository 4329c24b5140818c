import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import type { Detector, Finding } from './detection.js';

/** A country code, two check digits, then 11-30 letters or digits, optionally in groups of four. */
const CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g;

/**
 * IBANs (ISO 13616) with a valid country length, BBAN format and mod-97 check digits, as
 * ibantools checks them. A grouped IBAN may run into following capitals ("... 00 AND"), so
 * a candidate is shortened group by group until it is valid.
 */
export const detectIban: Detector = (text) => {
  const findings: Finding[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    let candidate = match[0];
    while (candidate.length >= 15) {
      if (isValidIBAN(electronicFormatIBAN(candidate) ?? '')) {
        findings.push({ start: match.index, end: match.index + candidate.length, detector: 'iban' });
        break;
      }
      const space = candidate.lastIndexOf(' ');
      if (space === -1) break;
      candidate = candidate.slice(0, space);
    }
  }
  return findings;
};
