/**
 * Tests for go-yaml v2 plain-scalar resolution (server/src/engine/yaml/goyaml.ts) and
 * Go's strconv.ParseBool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoBool, resolvePlainV2, type GoYamlScalar } from '../../server/src/engine/yaml/goyaml';

const bool = (value: boolean): GoYamlScalar => ({ type: 'bool', value });
const int = (value: number): GoYamlScalar => ({ type: 'int', value });
const float = (value: number): GoYamlScalar => ({ type: 'float', value });
const str = (value: string): GoYamlScalar => ({ type: 'string', value });
const nul: GoYamlScalar = { type: 'null' };

const cases: Array<[source: string, expected: GoYamlScalar]> = [
  // Booleans (YAML 1.1 style).
  ...'y Y yes Yes YES on On ON true True TRUE'.split(' ').map((s): [string, GoYamlScalar] => [s, bool(true)]),
  ...'n N no No NO off Off OFF false False FALSE'.split(' ').map((s): [string, GoYamlScalar] => [s, bool(false)]),
  ['yEs', str('yEs')],
  ['t', str('t')],
  ['f', str('f')],
  ['oN', str('oN')],
  ['yes please', str('yes please')],
  // Null.
  ['~', nul],
  ['null', nul],
  ['Null', nul],
  ['NULL', nul],
  ['', nul],
  ['nULL', str('nULL')],
  ['~x', str('~x')],
  // Integers: strconv.ParseInt(s, 0, 64) after removing '_'.
  ['0', int(0)],
  ['-0', int(0)],
  ['+1', int(1)],
  ['-1', int(-1)],
  ['42', int(42)],
  ['1_000', int(1000)],
  ['1__0', int(10)],
  ['1_', int(1)],
  ['0777', int(511)],
  ['-0777', int(-511)],
  ['0x1F', int(31)],
  ['0X1f', int(31)],
  ['0x_1F', int(31)],
  ['-0x1F', int(-31)],
  ['0b101', int(5)],
  ['0B11', int(3)],
  ['-0b101', int(-5)],
  // 0o: go-yaml v2 passes base 0 to strconv, which has accepted 0o since Go 1.13.
  ['0o17', int(15)],
  ['0O17', int(15)],
  ['9223372036854775807', int(2 ** 63)],
  ['-9223372036854775808', int(-(2 ** 63))],
  // Unsigned 64-bit.
  ['9223372036854775808', int(2 ** 63)],
  ['18446744073709551615', int(2 ** 64)],
  ['0xFFFFFFFFFFFFFFFF', int(2 ** 64)],
  // Beyond uint64: decimal falls to ParseFloat; hex goes to big.Int (sigs.k8s.io goyaml.v2).
  ['18446744073709551616', float(2 ** 64)],
  ['-9223372036854775809', float(-(2 ** 63))],
  ['+18446744073709551615', float(2 ** 64)],
  ['0x10000000000000000', int(2 ** 64)],
  ['1' + '0'.repeat(400), int(Infinity)],
  ['0x1FFFFFFFFFFFFFFFFFg', str('0x1FFFFFFFFFFFFFFFFFg')],
  // Floats.
  ['1.5', float(1.5)],
  ['-1.5e-3', float(-0.0015)],
  ['1e3', float(1000)],
  ['1E3', float(1000)],
  ['1.', float(1)],
  ['1.e5', float(100000)],
  ['.5', float(0.5)],
  ['-.5', float(-0.5)],
  ['+.5', float(0.5)],
  ['1_0.5', float(10.5)],
  ['.5_0', float(0.5)],
  ['08', float(8)], // not octal, not an int: ParseFloat accepts it
  ['09.5', float(9.5)],
  ['.inf', float(Infinity)],
  ['.Inf', float(Infinity)],
  ['.INF', float(Infinity)],
  ['+.inf', float(Infinity)],
  ['+.Inf', float(Infinity)],
  ['-.inf', float(-Infinity)],
  ['-.INF', float(-Infinity)],
  ['.nan', float(NaN)],
  ['.NaN', float(NaN)],
  ['.NAN', float(NaN)],
  // Strings.
  ['1e999', str('1e999')],
  ['-1e999', str('-1e999')],
  ['._5', str('._5')],
  ['.', str('.')],
  ['.5.5', str('.5.5')],
  ['-', str('-')],
  ['0x', str('0x')],
  ['0b', str('0b')],
  ['0xG', str('0xG')],
  ['_1', str('_1')],
  ['1a', str('1a')],
  ['1 2', str('1 2')],
  ['NaN', str('NaN')],
  ['Inf', str('Inf')],
  ['inf', str('inf')],
  ['.infinity', str('.infinity')],
  ['1:30', str('1:30')], // no base 60
  ['12:30:00', str('12:30:00')],
  ['2024-01-01', str('2024-01-01')], // timestamps stay strings in interface{}
  ['2001-12-14t21:59:43.10-05:00', str('2001-12-14t21:59:43.10-05:00')],
  ['<<', str('<<')],
  ['hello', str('hello')],
  ['30s', str('30s')],
  ['é', str('é')],
];

for (const [source, expected] of cases) {
  const label = source.length > 40 ? source.slice(0, 37) + '...' : source;
  test(`resolvePlainV2(${JSON.stringify(label)}) -> ${expected.type}`, () => {
    assert.deepEqual(resolvePlainV2(source), expected);
  });
}

test('resolvePlainV2 returns fresh objects', () => {
  const a = resolvePlainV2('yes');
  (a as { value: boolean }).value = false;
  assert.deepEqual(resolvePlainV2('yes'), bool(true));
});

test('resolvePlainV2 never throws and handles very long input', () => {
  for (const bad of [undefined, null, 1, {}, Symbol('s')]) {
    assert.deepEqual(resolvePlainV2(bad as unknown as string), nul);
  }
  for (const big of ['0'.repeat(200_000), '0x' + 'f'.repeat(200_000), '1_'.repeat(100_000), '.' + '5'.repeat(200_000), '9'.repeat(200_000) + 'x']) {
    resolvePlainV2(big);
  }
});

const bools: Array<[string, boolean | undefined]> = [
  ['1', true],
  ['t', true],
  ['T', true],
  ['TRUE', true],
  ['true', true],
  ['True', true],
  ['0', false],
  ['f', false],
  ['F', false],
  ['FALSE', false],
  ['false', false],
  ['False', false],
  ['yes', undefined],
  ['tRUE', undefined],
  ['', undefined],
  [' true', undefined],
];

for (const [s, expected] of bools) {
  test(`parseGoBool(${JSON.stringify(s)}) = ${String(expected)}`, () => {
    assert.equal(parseGoBool(s), expected);
  });
}
