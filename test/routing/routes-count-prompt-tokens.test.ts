import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeSchema } from '../../src/routing/route-schema.js';
import { routesCountPromptTokens } from '../../src/routing/routes-count-prompt-tokens.js';

const route = (rules: unknown[]) => routeSchema.parse({ default: 'small', rules });

test('a route with a prompt_tokens rule needs the tokenizer at start-up', () => {
  const routes = {
    plain: route([{ name: 'tools', when: { has_tools: true }, model: 'large' }]),
    counted: route([{ name: 'short', when: { stream: true, prompt_tokens: { max: 200 } }, model: 'small' }]),
  };
  assert.equal(routesCountPromptTokens(routes), true);
});

test('routes without one, or no routes, do not', () => {
  assert.equal(routesCountPromptTokens({}), false);
  assert.equal(routesCountPromptTokens({ plain: route([{ name: 'tools', when: { has_tools: true }, model: 'large' }, { name: 'any', model: 'small' }]) }), false);
});
