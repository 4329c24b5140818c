import { isIPv6 } from 'node:net';
import { regexFindings, type Detector } from './detection.js';

/** Addresses as people write them (RFC 5322's dot-atom form, a domain with a TLD of 2+ letters). */
const EMAIL = /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/g;

export const detectEmail: Detector = (text) => regexFindings(text, EMAIL, 'email');

/**
 * US Social Security numbers written AAA-GG-SSSS (or with spaces); the SSA never issues area
 * 000, 666 or 900-999, group 00 or serial 0000. Nine bare digits are too often something else.
 */
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g;

export const detectSsn: Detector = (text) => regexFindings(text, SSN, 'ssn');

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** Dotted quads that are not part of a longer dotted run (1.2.3.4.5) and not a version (v1.2.3.4, "version 1.2.3.4"). */
const IPV4 = new RegExp(`(?<![\\w.])(?<!(?:version|release|build|v)\\s?)${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'gi');
const IPV6_CANDIDATE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])/g;

/** IPv4 (dotted quad) and IPv6 addresses (any form node:net accepts, "::" alone excluded). */
export const detectIp: Detector = (text) => [
  ...regexFindings(text, IPV4, 'ip'),
  ...regexFindings(text, IPV6_CANDIDATE, 'ip', (candidate) => /[0-9A-Fa-f]/.test(candidate) && isIPv6(candidate)),
];

/**
 * Credentials by their documented prefixes and shapes: OpenAI (sk-, sk-proj-), Anthropic
 * (sk-ant-), AWS access key ids (AKIA/ASIA), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_,
 * github_pat_), Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-), Google API keys (AIza), Stripe
 * secret and restricted keys (sk_live_, rk_live_, _test_) and JSON Web Tokens (three
 * base64url parts, the first two JSON objects: "eyJ").
 */
const SECRETS = [
  /(?<![\w-])sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{50,255}/g,
  /(?<![A-Za-z0-9])xox[abpr]-[A-Za-z0-9-]{10,}/g,
  /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
  /(?<![A-Za-z0-9])[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
];

export const detectSecret: Detector = (text) => SECRETS.flatMap((pattern) => regexFindings(text, pattern, 'secret'));
