import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetChoice } from '../../src/capabilities/choose-targets.js';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { chooseFastest, type FastestInput } from '../../src/routing/choose-fastest.js';

const SETTINGS = { explore: 0.1, tolerance: 0.2, tolerance_ms: 20, error_penalty_ms: 2000 };
const choice = (model: string | undefined): TargetChoice => ({ usable: model ? [{ id: `${model}#0`, model } as unknown as TargetRuntime] : [], prepared: new Map(), skipped: new Map(), refusal: undefined, tooLongForAll: false });

/** Scores by model name (absent: unmeasured); `draws` are the random numbers handed out in order. */
function choose(scores: Record<string, number>, draws: number[], options: Partial<FastestInput> & { cannotServe?: string[] } = {}) {
  const handed = [...draws];
  return chooseFastest({
    candidates: ['a', 'b', 'c'],
    tierOf: (alias) => ({ a: 1, b: 2, c: 3 })[alias],
    minTier: undefined,
    serves: (alias) => choice(options.cannotServe?.includes(alias) ? undefined : alias),
    latency: (target) => scores[target.model],
    random: () => {
      const draw = handed.shift();
      assert.ok(draw !== undefined, 'asked for more random numbers than scripted');
      return draw;
    },
    settings: SETTINGS,
    ...options,
  });
}

describe('chooseFastest', () => {
  test('the lowest score wins when the others are beyond the tolerance', () => {
    // The first draw decides exploration (0.5 >= 0.1: no), the second picks within the fastest group.
    assert.deepEqual(choose({ a: 900, b: 100, c: 400 }, [0.5, 0.99]), { alias: 'b', latencyMs: 100, reason: 'fastest' });
  });

  test('candidates within the tolerance (20%, or 20 ms) share the traffic: the draw picks among them in order', () => {
    assert.deepEqual(choose({ a: 110, b: 100, c: 400 }, [0.5, 0.2]), { alias: 'a', latencyMs: 110, reason: 'fastest' });
    assert.deepEqual(choose({ a: 110, b: 100, c: 400 }, [0.5, 0.7]), { alias: 'b', latencyMs: 100, reason: 'fastest' });
    // 5 ms and 22 ms: beyond 20% but within 20 ms.
    assert.deepEqual(choose({ a: 22, b: 5, c: 400 }, [0.5, 0.1]), { alias: 'a', latencyMs: 22, reason: 'fastest' });
  });

  test('exploration: with probability `explore`, one of the slower candidates, at random', () => {
    assert.deepEqual(choose({ a: 900, b: 100, c: 400 }, [0.05, 0.2]), { alias: 'a', latencyMs: 900, reason: 'explore' });
    assert.deepEqual(choose({ a: 900, b: 100, c: 400 }, [0.05, 0.7]), { alias: 'c', latencyMs: 400, reason: 'explore' });
    // All within the tolerance: nothing to explore, one draw only.
    assert.deepEqual(choose({ a: 100, b: 100, c: 100 }, [0.9]), { alias: 'c', latencyMs: 100, reason: 'fastest' });
    assert.deepEqual(choose({ a: 900, b: 100, c: 400 }, [0.05, 0], { settings: { ...SETTINGS, explore: 0 } }), { alias: 'b', latencyMs: 100, reason: 'fastest' });
  });

  test('an unmeasured candidate is scored 0, so it is tried', () => {
    assert.deepEqual(choose({ a: 300, b: 100 }, [0.5, 0]), { alias: 'c', latencyMs: undefined, reason: 'unmeasured' });
  });

  test('candidates below min_tier, or none of whose targets can serve, are left out; none left: no choice', () => {
    assert.deepEqual(choose({ a: 10, b: 100, c: 400 }, [0.5, 0], { minTier: 2 }), { alias: 'b', latencyMs: 100, reason: 'fastest' });
    assert.deepEqual(choose({ a: 10, b: 100, c: 400 }, [0.5, 0], { cannotServe: ['a'] }), { alias: 'b', latencyMs: 100, reason: 'fastest' });
    assert.deepEqual(choose({}, [], { cannotServe: ['a', 'b', 'c'] }), { alias: undefined, latencyMs: undefined, reason: undefined });
  });

  test('asynchronous when a candidate check is', async () => {
    const chosen = choose({ a: 300, b: 100, c: 400 }, [0.5, 0], { serves: async (alias) => choice(alias) });
    assert.ok(chosen instanceof Promise);
    assert.deepEqual(await chosen, { alias: 'b', latencyMs: 100, reason: 'fastest' });
  });
});
