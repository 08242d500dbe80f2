/**
 * The strict JSON checker used for the injector's `values` agrees with JSON.parse on what is
 * valid, and reports positions inside the text.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonError } from '../../server/src/engine/model/mesh';

test('agrees with JSON.parse on 20,000 random short strings (seeded)', () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = '{}[]",:0123456789.eE+-truefalsn \\u\n\t/ab';
  for (let k = 0; k < 20000; k++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 12);
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    let valid = true;
    try {
      JSON.parse(s);
    } catch {
      valid = false;
    }
    const err = jsonError(s);
    assert.equal(err === undefined, valid, JSON.stringify(s));
    if (err) assert.ok(err.offset >= 0 && err.offset < s.length, JSON.stringify(s));
  }
});

test('positions', () => {
  assert.equal(jsonError('{"a": 1,}')!.offset, 8);
  assert.equal(jsonError(`{"a": 'x'}`)!.offset, 6);
  assert.equal(jsonError('[1, 2')!.offset, 4);
  assert.equal(jsonError('{"a": tru}')!.offset, 6);
  assert.equal(jsonError('{"global": {}}'), undefined);
});
