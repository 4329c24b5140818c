import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { guardSignature, isNegated, numberSignature } from '../../src/cache/semantic-guard.js';

describe('semantic precision guards', () => {
  test('the number signature is the digit runs in order; thousands commas and leading zeros do not count', () => {
    assert.equal(numberSignature('Give me a 3-day itinerary for Rome.'), '3');
    assert.equal(numberSignature('Interest on $1,000 at 5% for 2 years'), '1000 5 2');
    assert.equal(numberSignature('Interest on $1000 at 5% for 2 years'), numberSignature('Interest on $1,000 at 5% for 2 years'));
    assert.equal(numberSignature('12,500,000 people'), '12500000');
    assert.equal(numberSignature('on 2026-01-05'), numberSignature('on 2026-1-5'));
    assert.equal(numberSignature('What is the capital of France?'), '');
  });

  test('forms that may mean another number stay apart', () => {
    assert.notEqual(numberSignature('Python 3.10'), numberSignature('Python 3.1'));
    assert.notEqual(numberSignature('3.5 kg'), numberSignature('35 kg'));
    assert.equal(numberSignature('3.14159'), '3.14159');
    assert.equal(numberSignature('0.5'), '0.5');
    assert.equal(numberSignature('pick 1,5 or 7'), '1 5 7', 'a comma that does not group three digits separates numbers');
    assert.equal(numberSignature('IPv4 or HTTP/2 or COVID-19'), '4 2 19', 'digits inside words count');
  });

  test('the number signature is order-sensitive: the same numbers in another order are other numbers', () => {
    assert.notEqual(numberSignature('Convert 3 feet to 5 inches'), numberSignature('Convert 5 feet to 3 inches'));
    assert.notEqual(numberSignature('What is 10 minus 4?'), numberSignature('What is 4 minus 10?'));
  });

  test('negation cues are words, not substrings', () => {
    for (const text of ['Is coffee not good for you?', "Why doesn't it work?", 'Why can’t I log in?', 'I never use tabs', 'Is there no way?', 'record a call without consent', 'I cannot see it']) {
      assert.equal(isNegated(text), true, text);
    }
    for (const text of ['Is coffee good for you?', 'Take a note', 'Another knot', 'Is Nokia nothingness?', 'Why can I log in?', 'record a call with consent']) {
      assert.equal(isNegated(text), false, text);
    }
  });

  test('a paraphrase keeps its signature; a changed number or polarity changes it; no guard on: empty', () => {
    const guards = { numbers: true, negation: true };
    assert.equal(guardSignature('Give me 3 ideas for a birthday party.', guards), guardSignature('Suggest 3 birthday party ideas', guards));
    assert.notEqual(guardSignature('Give me 3 ideas for a birthday party.', guards), guardSignature('Give me 10 ideas for a birthday party.', guards));
    assert.notEqual(guardSignature('Is coffee good for you?', guards), guardSignature('Is coffee not good for you?', guards));
    assert.equal(guardSignature('Is coffee good for you?', { numbers: true, negation: false }), guardSignature('Is coffee not good for you?', { numbers: true, negation: false }));
    assert.equal(guardSignature('Give me 3 ideas', { numbers: false, negation: false }), '');
  });
});
