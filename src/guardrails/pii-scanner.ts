import type { PiiDetectorName } from '../config/guardrail-schema.js';
import { detectCard } from './card-detector.js';
import { resolveOverlaps, type Detector, type Finding } from './detection.js';
import { detectIban } from './iban-detector.js';
import { detectEmail, detectIp, detectSecret, detectSsn } from './pattern-detectors.js';
import { phoneDetector } from './phone-detector.js';

/** Which detector wins when two find overlapping text: the more specific shape first. */
export const PII_PRIORITY: readonly PiiDetectorName[] = ['secret', 'email', 'iban', 'card', 'ssn', 'ip', 'phone'];

/** The detectors to run, by name, with the phone detector for `phoneRegion`. */
export function piiScanner(detectors: readonly PiiDetectorName[], phoneRegion: string): (text: string) => Finding[] {
  // Factories, so a detector is only built (and its library loaded) when a policy asks for it.
  const table: Record<PiiDetectorName, () => Detector> = {
    email: () => detectEmail,
    phone: () => phoneDetector(phoneRegion),
    card: () => detectCard,
    iban: () => detectIban,
    ssn: () => detectSsn,
    ip: () => detectIp,
    secret: () => detectSecret,
  };
  const chosen = PII_PRIORITY.filter((name) => detectors.includes(name)).map((name) => table[name]());
  return (text) => {
    if (text.length === 0) return [];
    return resolveOverlaps(chosen.flatMap((detect) => detect(text)), PII_PRIORITY);
  };
}
