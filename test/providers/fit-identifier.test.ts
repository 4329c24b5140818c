import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANTHROPIC_TOOL_NAME, ANTHROPIC_TOOL_USE_ID, ANTHROPIC_USER_ID, fitIdentifier, GEMINI_FUNCTION_NAME } from '../../src/providers/fit-identifier.js';
import { fromGeminiFunctionName, toGeminiFunctionName } from '../../src/providers/gemini/gemini-function-name.js';

/** Ids other providers mint, as recorded in agent histories: Kimi/Moonshot, DeepSeek, MCP-qualified, Mistral, plain. */
const FOREIGN_IDS = ['functions.list_files:0', 'functions.Bash:12', 'call_0:abc|def', 'mcp__github.search/1', 'tool id with spaces', 'ид-инструмента', '', 'a.'.repeat(150)];

describe('fitIdentifier', () => {
  test('a value the provider accepts is kept exactly, ids Anthropic minted included', () => {
    for (const id of ['toolu_01A09q90qw90lq917835lq9', 'call_abc123', 'call_x_0', 'A-b_9']) assert.equal(fitIdentifier(id, ANTHROPIC_TOOL_USE_ID), id);
    assert.equal(fitIdentifier('get_weather', ANTHROPIC_TOOL_NAME), 'get_weather');
    assert.equal(fitIdentifier('my.tool:v2', GEMINI_FUNCTION_NAME), 'my.tool:v2');
  });

  test('every other id becomes one the rule accepts: forbidden characters replaced, a hash of the original appended', () => {
    for (const id of FOREIGN_IDS) {
      const fitted = fitIdentifier(id, ANTHROPIC_TOOL_USE_ID);
      assert.match(fitted, /^[a-zA-Z0-9_-]+$/, id);
      assert.ok(fitted.length <= ANTHROPIC_TOOL_USE_ID.maxLength, id);
    }
    assert.match(fitIdentifier('functions.list_files:0', ANTHROPIC_TOOL_USE_ID), /^functions_list_files_0_[0-9a-f]{16}$/);
  });

  test('the rewrite is a pure function of the original: the same id, the same answer, every time', () => {
    for (const id of FOREIGN_IDS) assert.equal(fitIdentifier(id, ANTHROPIC_TOOL_USE_ID), fitIdentifier(String(id), ANTHROPIC_TOOL_USE_ID));
  });

  test('no two originals meet: ids that sanitize alike stay apart, and none lands on an id kept as is', () => {
    const originals = ['a.b', 'a:b', 'a/b', 'a b', 'a_b', 'a|b', 'functions.f:0', 'functions.f:1', 'functions_f_0'];
    for (let index = 0; index < 2000; index++) originals.push(`functions.tool_${index % 50}:${index}`);
    const fitted = originals.map((id) => fitIdentifier(id, ANTHROPIC_TOOL_USE_ID));
    assert.equal(new Set(fitted).size, originals.length);
  });

  test('names: Anthropic keeps every OpenAI function name; Gemini gets a letter or "_" first and at most 128 characters', () => {
    for (const name of ['get_weather', '3d_render', '-x', 'a'.repeat(64), 'A-1']) assert.equal(fitIdentifier(name, ANTHROPIC_TOOL_NAME), name);
    for (const name of ['functions.read_file', 'tools/read', '9lives', '', 'x'.repeat(200)]) {
      const fitted = fitIdentifier(name, GEMINI_FUNCTION_NAME);
      assert.match(fitted, GEMINI_FUNCTION_NAME.accepts, name);
    }
  });

  test('Anthropic user ids longer than 256 characters are shortened, others kept', () => {
    assert.equal(fitIdentifier('user-42', ANTHROPIC_USER_ID), 'user-42');
    const long = fitIdentifier('u'.repeat(400), ANTHROPIC_USER_ID);
    assert.equal(long.length, 256);
    assert.notEqual(long, fitIdentifier(`${'u'.repeat(399)}v`, ANTHROPIC_USER_ID));
  });
});

describe('Gemini function names', () => {
  test('every OpenAI function name reaches Gemini in a form it accepts and comes back as the client wrote it', () => {
    const names = ['get_weather', '3d_render', '-dash-first', '_private', '0', 'a'.repeat(64), `9${'z'.repeat(63)}`, 'A-b_C'];
    for (const name of names) {
      const sent = toGeminiFunctionName(name);
      assert.match(sent, GEMINI_FUNCTION_NAME.accepts, name);
      assert.equal(fromGeminiFunctionName(sent), name, name);
    }
    assert.equal(toGeminiFunctionName('get_weather'), 'get_weather', 'names Gemini accepts are not touched');
    assert.equal(toGeminiFunctionName('3d_render'), '_.3d_render');
  });

  test('names from other providers are fitted; one that looks escaped is escaped again, so undoing stays exact', () => {
    assert.equal(toGeminiFunctionName('functions.read_file'), 'functions.read_file', 'dots are fine for Gemini');
    assert.match(toGeminiFunctionName('tools/read'), /^tools_read_[0-9a-f]{16}$/);
    assert.equal(fromGeminiFunctionName(toGeminiFunctionName('_.odd')), '_.odd');
    assert.equal(toGeminiFunctionName('tools/read'), toGeminiFunctionName('tools/read'), 'stable across turns');
  });
});
