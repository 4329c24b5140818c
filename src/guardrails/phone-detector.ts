import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';
import type { Detector } from './detection.js';

/**
 * Phone numbers as libphonenumber-js (Google's libphonenumber metadata, "max" set: numbers
 * are checked against each country's valid ranges, not only lengths) finds them in text:
 * international numbers (+44 20 7946 0958) anywhere, national ones in `region`'s formats.
 */
export function phoneDetector(region: string): Detector {
  return (text) => {
    // Digits are rare in prose; most texts are skipped without calling the library.
    if (!/\d{2}/.test(text)) return [];
    return findPhoneNumbersInText(text, region as CountryCode).map((found) => ({ start: found.startsAt, end: found.endsAt, detector: 'phone' }));
  };
}
