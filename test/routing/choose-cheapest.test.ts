import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetChoice } from '../../src/capabilities/choose-targets.js';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { chooseCheapest, type CheapestChoice } from '../../src/routing/choose-cheapest.js';

/** Cost choice: the cheapest candidate that can serve the request, above a tier floor. */
const target = (model: string) => ({ id: model, model }) as unknown as TargetRuntime;
const serving = (model: string | undefined): TargetChoice => ({ usable: model === undefined ? [] : [target(model)], prepared: new Map(), skipped: new Map(), refusal: undefined, tooLongForAll: false });
const PRICES: Record<string, number | undefined> = { mini: 0.001, big: 0.01, nano: 0.0001, unpriced: undefined };

function choose(candidates: string[], options: { cannot?: string[]; tiers?: Record<string, number>; minTier?: number; async?: boolean } = {}) {
  return chooseCheapest({
    candidates,
    minTier: options.minTier,
    tierOf: (alias) => options.tiers?.[alias],
    serves: (alias) => {
      const choice = serving(options.cannot?.includes(alias) ? undefined : alias);
      return options.async ? Promise.resolve(choice) : choice;
    },
    cost: (chosen) => PRICES[chosen.model],
  });
}

describe('chooseCheapest', () => {
  test('picks the cheapest, whatever the order', () => {
    assert.deepEqual(choose(['big', 'mini', 'nano']), { alias: 'nano', costUsd: 0.0001 });
  });

  test('skips a cheaper candidate that cannot serve the request', () => {
    assert.deepEqual(choose(['big', 'mini', 'nano'], { cannot: ['nano'] }), { alias: 'mini', costUsd: 0.001 });
  });

  test('a tier floor leaves out lower and untiered candidates', () => {
    assert.deepEqual(choose(['big', 'mini', 'nano'], { tiers: { big: 3, mini: 2, nano: 1 }, minTier: 2 }), { alias: 'mini', costUsd: 0.001 });
    assert.deepEqual(choose(['big', 'mini'], { tiers: { big: 3 }, minTier: 2 }), { alias: 'big', costUsd: 0.01 });
  });

  test('unpriced candidates rank after priced ones, and serve when nothing else can', () => {
    assert.equal((choose(['unpriced', 'big']) as CheapestChoice).alias, 'big');
    assert.equal((choose(['unpriced', 'big'], { cannot: ['big'] }) as CheapestChoice).alias, 'unpriced');
  });

  test('none can serve: no choice', () => {
    assert.deepEqual(choose(['big'], { cannot: ['big'] }), { alias: undefined, costUsd: undefined });
  });

  test('waits for candidates whose check counts the prompt', async () => {
    assert.equal((await choose(['big', 'mini'], { async: true })).alias, 'mini');
  });
});
