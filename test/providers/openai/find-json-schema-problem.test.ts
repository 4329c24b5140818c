import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeSchemaContext, findJsonSchemaProblem } from '../../../src/providers/openai/find-json-schema-problem.js';
import { schemaOfDepth } from '../../support/deep-json.js';

const loose = { strict: false };

describe('findJsonSchemaProblem', () => {
  test('the meta-schema follows the dialect: 2020-12 by default, draft-07 when named, others unchecked', () => {
    const tuple = { type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } } };
    assert.deepEqual(findJsonSchemaProblem(tuple, loose), { context: ['properties', 'pair', 'items'], message: "expected 'object' or 'boolean'" });
    assert.equal(findJsonSchemaProblem({ $schema: 'http://json-schema.org/draft-07/schema#', ...tuple }, loose), undefined);
    assert.equal(findJsonSchemaProblem({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...tuple }, loose)?.context.join('/'), 'properties/pair/items');
    assert.equal(findJsonSchemaProblem({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { n: { type: 'number', exclusiveMinimum: true } } }, loose), undefined);
  });

  test('pointer escapes in the context are undone', () => {
    assert.deepEqual(findJsonSchemaProblem({ type: 'object', properties: { 'a/b~c': { type: 'nope' } } }, loose)?.context, ['properties', 'a/b~c', 'type']);
  });

  test('array schemas need items wherever they are; enum and default values are data, not schemas', () => {
    assert.deepEqual(findJsonSchemaProblem({ type: 'object', $defs: { list: { type: 'array' } } }, loose), { context: ['$defs', 'list'], message: 'array schema missing items' });
    assert.deepEqual(findJsonSchemaProblem({ type: 'object', properties: { a: { not: { type: 'array' } } } }, loose)?.context, ['properties', 'a', 'not']);
    assert.equal(findJsonSchemaProblem({ type: 'object', properties: { a: { type: 'string', enum: [{ type: 'array' }], default: { type: 'array' } } } }, loose), undefined);
  });

  test('strict rules apply only in strict mode', () => {
    const open = { type: 'object', properties: { a: { type: 'string' } } };
    assert.equal(findJsonSchemaProblem(open, loose), undefined);
    assert.match(findJsonSchemaProblem(open, { strict: true })!.message, /additionalProperties/);
    assert.match(findJsonSchemaProblem({ type: 'string' }, { strict: true })!.message, /root must be an object/);
  });

  test('walks a schema as deep as the nesting bound allows without recursion trouble', () => {
    assert.equal(findJsonSchemaProblem(schemaOfDepth(125), loose), undefined);
    const broken = schemaOfDepth(125) as { properties: { a: Record<string, unknown> } };
    let inner = broken.properties.a;
    while ((inner.properties as { a?: Record<string, unknown> } | undefined)?.a) inner = (inner.properties as { a: Record<string, unknown> }).a;
    inner.type = 'array';
    delete inner.items;
    assert.equal(findJsonSchemaProblem(broken, loose)?.message, 'array schema missing items');
  });

  test('contexts are written as OpenAI writes them, as Python tuples', () => {
    assert.equal(describeSchemaContext([]), '()');
    assert.equal(describeSchemaContext(['required']), "('required',)");
    assert.equal(describeSchemaContext(['properties', 'a']), "('properties', 'a')");
  });
});
