import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { finishReasonFromAnthropic, toAnthropicStopReason } from '../../../src/api/anthropic-messages/anthropic-stop-reason.js';
import type { FinishReason } from '../../../src/model/finish-reason.js';

describe('toAnthropicStopReason', () => {
  const cases: [FinishReason, string][] = [
    ['stop', 'end_turn'],
    ['stop_sequence', 'stop_sequence'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['content_filter', 'refusal'],
    ['pause_turn', 'pause_turn'],
  ];
  for (const [reason, stopReason] of cases) {
    test(`${reason} -> ${stopReason}`, () => assert.equal(toAnthropicStopReason(reason), stopReason));
  }
});

describe('finishReasonFromAnthropic', () => {
  const cases: [string | null | undefined, FinishReason][] = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop_sequence'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'pause_turn'],
    [null, 'stop'],
    [undefined, 'stop'],
    ['a_reason_added_later', 'stop'],
  ];
  for (const [stopReason, reason] of cases) {
    test(`${String(stopReason)} -> ${reason}`, () => assert.equal(finishReasonFromAnthropic(stopReason), reason));
  }

  test('every neutral reason survives the round trip', () => {
    for (const reason of ['stop', 'stop_sequence', 'length', 'tool_calls', 'content_filter', 'pause_turn'] as const) {
      assert.equal(finishReasonFromAnthropic(toAnthropicStopReason(reason)), reason);
    }
  });
});
