/**
 * Tests for the Go duration port (server/src/engine/duration.ts): values and exact error
 * strings of Go's time.ParseDuration, and formatDuration's Istio-style output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseGoDuration } from '../../server/src/engine/duration';

const valid: Array<[input: string, seconds: number]> = [
  ['0', 0],
  ['+0', 0],
  ['-0', 0],
  ['0s', 0],
  ['00s', 0],
  ['-0s', 0],
  ['1s', 1],
  ['50s', 50],
  ['1m', 60],
  ['1h', 3600],
  ['1.5h', 5400],
  ['-1.5h', -5400],
  ['2h45m', 9900],
  ['1h1m1s', 3661],
  ['300ms', 0.3],
  ['.5s', 0.5],
  ['1.s', 1],
  ['+5s', 5],
  ['1ns', 1e-9],
  ['1us', 1e-6],
  ['1\u00b5s', 1e-6], // micro sign
  ['1\u03bcs', 1e-6], // greek mu
  ['1.000000001s', 1.000000001],
  ['0.1234567891s', 0.123456789], // beyond nanoseconds is truncated, as in Go
  ['9223372036854775807ns', 9223372036.854775807],
  ['-9223372036854775808ns', -9223372036.854775808],
  ['2562047h', 2562047 * 3600],
];

for (const [input, seconds] of valid) {
  test(`parseGoDuration(${JSON.stringify(input)}) = ${seconds}s`, () => {
    const r = parseGoDuration(input);
    assert.deepEqual(r, { ok: true, seconds });
    if (r.ok) assert.ok(!Object.is(r.seconds, -0), 'never -0');
  });
}

const invalid: Array<[input: string, error: string]> = [
  ['', 'time: invalid duration ""'],
  ['x', 'time: invalid duration "x"'],
  ['.', 'time: invalid duration "."'],
  ['-', 'time: invalid duration "-"'],
  ['+', 'time: invalid duration "+"'],
  ['s', 'time: invalid duration "s"'],
  ['.s', 'time: invalid duration ".s"'],
  ['-.s', 'time: invalid duration "-.s"'],
  [' 1s', 'time: invalid duration " 1s"'],
  ['60', 'time: missing unit in duration "60"'],
  ['1.5', 'time: missing unit in duration "1.5"'],
  ['1h30', 'time: missing unit in duration "1h30"'],
  ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['60S', 'time: unknown unit "S" in duration "60S"'],
  ['60 s', 'time: unknown unit " s" in duration "60 s"'],
  ['1s ', 'time: unknown unit "s " in duration "1s "'],
  ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
  ['1sec', 'time: unknown unit "sec" in duration "1sec"'],
  ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
  ['2562048h', 'time: invalid duration "2562048h"'],
  ['100000000000000000000s', 'time: invalid duration "100000000000000000000s"'],
  ['300y', 'time: unknown unit "y" in duration "300y"'],
  // Go's time package quotes with its own quote(): non-ASCII as \x bytes, " and \ escaped.
  ['1\u00b5', 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
  ['a"b\\', 'time: invalid duration "a\\"b\\\\"'],
  ['\t', 'time: invalid duration "\\x09"'],
];

for (const [input, error] of invalid) {
  test(`parseGoDuration(${JSON.stringify(input)}) fails: ${error}`, () => {
    assert.deepEqual(parseGoDuration(input), { ok: false, error });
  });
}

test('parseGoDuration never throws on non-strings', () => {
  for (const bad of [undefined, null, 42, {}, [], Symbol('x')]) {
    const r = parseGoDuration(bad as unknown as string);
    assert.equal(r.ok, false);
  }
});

test('parseGoDuration handles very long input', () => {
  assert.equal(parseGoDuration('1'.repeat(200_000) + 's').ok, false);
  assert.equal(parseGoDuration('0.' + '1'.repeat(200_000) + 's').ok, true);
  assert.equal(parseGoDuration('1s'.repeat(100_000)).ok, true);
});

const formats: Array<[seconds: number, text: string]> = [
  [50, '50s'],
  [0.5, '500ms'],
  [90, '90s'],
  [120, '120s'],
  [1.5, '1.5s'],
  [0, '0s'],
  [-0, '0s'],
  [-3, '-3s'],
  [0.25, '250ms'],
  [0.000002, '2us'],
  [1e-9, '1ns'],
  [0.1 + 0.2, '300ms'],
  [10.000000001, '10.000000001s'],
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
];

for (const [seconds, text] of formats) {
  test(`formatDuration(${seconds}) = ${text}`, () => {
    assert.equal(formatDuration(seconds), text);
  });
}

test('formatDuration output parses back to the same value', () => {
  for (const seconds of [50, 0.5, 90, 1.5, 0.001, 0.000001, 1e-9, 3600, 86400, -2.25, 45.125]) {
    assert.deepEqual(parseGoDuration(formatDuration(seconds)), { ok: true, seconds });
  }
});
