import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ContentTooLargeError,
  GatewayTimeoutError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  UnprocessableEntityError,
} from '@anthropic-ai/sdk';
import { GatewayError } from '../../../src/errors.js';
import type { FailureKind, UpstreamFailure } from '../../../src/model/upstream-failure.js';
import { anthropicErrorBody, anthropicErrorStatus } from '../../../src/api/anthropic-messages/anthropic-error-body.js';
import { ANY_REQUEST, anthropicClientAnswering } from '../../support/anthropic-sdk-client.js';

type ErrorClass = abstract new (...args: never[]) => APIError;

/** What the official SDK raises for an error the gateway writes: the status and body, as sent. */
async function sdkErrorFor(error: GatewayError | UpstreamFailure): Promise<APIError> {
  const client = anthropicClientAnswering(JSON.stringify(anthropicErrorBody(error)), { status: anthropicErrorStatus(error) });
  try {
    await client.messages.create(ANY_REQUEST);
  } catch (thrown) {
    assert.ok(thrown instanceof APIError, `expected an APIError, got ${String(thrown)}`);
    return thrown;
  }
  assert.fail('the SDK accepted an error response');
}

describe('anthropicErrorBody for the gateway’s own refusals', () => {
  const cases: [number, string, ErrorClass][] = [
    [400, 'invalid_request_error', BadRequestError],
    [401, 'authentication_error', AuthenticationError],
    [402, 'billing_error', PaymentRequiredError],
    [403, 'permission_error', PermissionDeniedError],
    [404, 'not_found_error', NotFoundError],
    [413, 'request_too_large', ContentTooLargeError],
    [429, 'rate_limit_error', RateLimitError],
    [500, 'api_error', InternalServerError],
    [503, 'overloaded_error', ServiceUnavailableError],
    [504, 'timeout_error', GatewayTimeoutError],
  ];
  for (const [status, type, errorClass] of cases) {
    test(`${status} is ${type}, which the SDK raises as ${errorClass.name}`, async () => {
      const error = new GatewayError({ status, code: 'some_code', message: `refused with ${status}` });
      assert.equal(anthropicErrorStatus(error), status);
      assert.deepEqual(anthropicErrorBody(error), { type: 'error', error: { type, message: `refused with ${status}` } });
      const raised = await sdkErrorFor(error);
      assert.ok(raised instanceof errorClass, `${raised.constructor.name} is not ${errorClass.name}`);
      assert.equal(raised.status, status);
      assert.equal(raised.type, type);
      assert.equal(raised.apiMessage, `refused with ${status}`);
    });
  }

  test('the message carries the field, as Anthropic’s do, since the body has no param', () => {
    const error = new GatewayError({ status: 400, code: 'invalid_value', param: 'max_tokens', message: 'max_tokens: Field required' });
    assert.deepEqual(anthropicErrorBody(error), { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });
});

describe('anthropicErrorBody for provider failures, by kind', () => {
  const cases: [FailureKind, number, number, string, ErrorClass][] = [
    ['invalid_request', 400, 400, 'invalid_request_error', BadRequestError],
    ['invalid_request', 422, 422, 'invalid_request_error', UnprocessableEntityError],
    ['authentication', 401, 401, 'authentication_error', AuthenticationError],
    ['permission', 403, 403, 'permission_error', PermissionDeniedError],
    ['not_found', 404, 404, 'not_found_error', NotFoundError],
    ['request_too_large', 413, 413, 'request_too_large', ContentTooLargeError],
    ['rate_limit', 429, 429, 'rate_limit_error', RateLimitError],
    // OpenAI's insufficient_quota comes as a 429; retrying cannot help, and the SDK does not retry a 402.
    ['quota', 429, 402, 'billing_error', PaymentRequiredError],
    // An overloaded OpenAI or Gemini (503) reaches an Anthropic client as Anthropic's own overload.
    ['overloaded', 503, 529, 'overloaded_error', OverloadedError],
    ['timeout', 504, 504, 'timeout_error', GatewayTimeoutError],
    ['server', 500, 500, 'api_error', InternalServerError],
    ['server', 502, 502, 'api_error', InternalServerError],
  ];
  for (const [kind, providerStatus, status, type, errorClass] of cases) {
    test(`${kind} (${providerStatus}) is ${status} ${type}, raised as ${errorClass.name}`, async () => {
      const failure: UpstreamFailure = { status: providerStatus, kind, message: `provider said ${kind}` };
      assert.equal(anthropicErrorStatus(failure), status);
      assert.deepEqual(anthropicErrorBody(failure), { type: 'error', error: { type, message: `provider said ${kind}` } });
      const raised = await sdkErrorFor(failure);
      assert.ok(raised instanceof errorClass, `${raised.constructor.name} is not ${errorClass.name}`);
      assert.equal(raised.type, type);
    });
  }
});
