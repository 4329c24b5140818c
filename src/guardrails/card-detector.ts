import { regexFindings, type Detector } from './detection.js';

/** 13 to 19 digits, optionally grouped by single spaces or dashes. */
const CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d]|-\d)/g;

/** The Luhn (mod 10) checksum every payment card number carries (ISO/IEC 7812-1). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes and lengths of the major card networks (Visa 4; Mastercard 51-55 and
 * 2221-2720; American Express 34, 37; Discover 6011, 644-649, 65; JCB 3528-3589; Diners 36,
 * 38, 300-305; UnionPay 62): a Luhn-valid order number with another prefix is not a card.
 */
function knownIssuer(digits: string): boolean {
  const length = digits.length;
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (digits.startsWith('4')) return length === 13 || length === 16 || length === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return length === 16;
  if (two === 34 || two === 37) return length === 15;
  if (four === 6011 || two === 65 || (four >= 6440 && four <= 6499)) return length >= 16;
  if (four >= 3528 && four <= 3589) return length >= 16;
  if (two === 36 || two === 38 || (four >= 3000 && four <= 3059)) return length >= 14;
  if (two === 62) return length >= 16;
  return false;
}

/** Payment card numbers: a known issuer prefix and length, and a valid Luhn checksum. */
export const detectCard: Detector = (text) =>
  regexFindings(text, CANDIDATE, 'card', (candidate) => {
    const digits = candidate.replace(/[ -]/g, '');
    // One separator style throughout: "4111 1111-1111 1111" is not how a card is written.
    if (/ /.test(candidate) && /-/.test(candidate)) return false;
    return knownIssuer(digits) && luhnValid(digits);
  });
