import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { routeReason, routingHeaders } from '../../src/routing/routing-headers.js';

describe('routingHeaders and routeReason', () => {
  test("a route's choice: the route, the rule, the model and why, with the figure it was chosen on", () => {
    assert.deepEqual(routingHeaders({ route: 'auto', rule: 'quick', model: 'b', reason: 'fastest', latencyMs: 212.54 }, undefined, undefined), {
      'x-gateway-route': 'auto',
      'x-gateway-route-rule': 'quick',
      'x-gateway-model': 'b',
      'x-gateway-route-reason': 'fastest; latency_ms=212.5',
    });
    assert.equal(routeReason({ route: 'auto', rule: 'x', model: 'b', reason: 'explore', latencyMs: 950 }), 'explore; latency_ms=950');
    assert.equal(routeReason({ route: 'auto', rule: 'x', model: 'b', reason: 'unmeasured', latencyMs: undefined }), 'unmeasured');
    assert.equal(routeReason({ route: 'auto', rule: 'x', model: 'b', reason: 'cheapest', estimatedCostUsd: 0.000423456 }), 'cheapest; cost_usd=0.000423');
    assert.equal(routeReason({ route: 'auto', rule: 'x', model: 'b', reason: 'cheapest', estimatedCostUsd: undefined }), 'cheapest');
    assert.equal(routeReason({ route: 'auto', rule: 'default', model: 'b', reason: 'default' }), 'default');
  });

  test('no route: no route headers; dropped parameters and turns as before', () => {
    const answered = { id: 'm#0' } as TargetRuntime;
    assert.deepEqual(routingHeaders(undefined, new Map([['m#0', ['store', 'logprobs']]]), answered, 2), { 'x-gateway-dropped-params': 'store, logprobs', 'x-gateway-truncated-turns': '2' });
  });
});
