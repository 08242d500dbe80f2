/**
 * How kubectl and Istio see a plain (unquoted) YAML scalar. Both read YAML through
 * sigs.k8s.io/yaml, i.e. go-yaml v2 resolution rules (its `resolve.go`, as forked into
 * sigs.k8s.io/yaml/goyaml.v2), which are YAML 1.1-ish and differ from the YAML 1.2 core
 * schema the `yaml` npm package uses: `yes`/`on`/`y` are booleans, `0777` is octal, and
 * integers go through Go's strconv. This module replays that resolution so the linter can
 * tell what the API server will really receive. Pure, dependency-free, never throws,
 * linear in the input length.
 */

/** A plain scalar as go-yaml v2 resolves it (what a Go `interface{}` would hold). */
export type GoYamlScalar =
  | { type: 'null' }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string };

const NULL: GoYamlScalar = { type: 'null' };

/** resolve.go's resolveMap, minus `<<` (whose first byte has no hint, so go-yaml never looks it up). */
const RESOLVE_MAP: ReadonlyMap<string, GoYamlScalar> = (() => {
  const m = new Map<string, GoYamlScalar>();
  const put = (value: GoYamlScalar, keys: string[]): void => {
    for (const k of keys) m.set(k, value);
  };
  put({ type: 'bool', value: true }, ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
  put({ type: 'bool', value: false }, ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
  put(NULL, ['', '~', 'null', 'Null', 'NULL']);
  put({ type: 'float', value: NaN }, ['.nan', '.NaN', '.NAN']);
  put({ type: 'float', value: Infinity }, ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
  put({ type: 'float', value: -Infinity }, ['-.inf', '-.Inf', '-.INF']);
  return m;
})();

/** resolve.go's yamlStyleFloat. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

const MAX_UINT64 = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

type IntParse = { ok: true; value: bigint } | { ok: false; range: boolean };

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Digit value of c in Go's strconv sense (0-9, then a/A = 10 ... z/Z = 35), or 99. */
function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x7a) return lower - 0x61 + 10;
  return 99;
}

/** Base and digits of s under Go's base-0 prefix rules (0b, 0o, 0x, leading-0 octal). */
function splitBase0(s: string): { base: number; digits: string } {
  if (s[0] === '0' && s.length >= 2) {
    const p = s[1];
    if (s.length >= 3 && (p === 'b' || p === 'B')) return { base: 2, digits: s.slice(2) };
    if (s.length >= 3 && (p === 'o' || p === 'O')) return { base: 8, digits: s.slice(2) };
    if (s.length >= 3 && (p === 'x' || p === 'X')) return { base: 16, digits: s.slice(2) };
    return { base: 8, digits: s.slice(1) };
  }
  return { base: 10, digits: s };
}

/**
 * Go's strconv.ParseUint(s, 0, 64) for a string without underscores (go-yaml strips them
 * first). Like Go, it reports a range error as soon as the value overflows, even if an
 * invalid character follows.
 */
function parseUint64Base0(s: string): IntParse {
  if (s === '') return { ok: false, range: false };
  const { base, digits } = splitBase0(s);
  const b = BigInt(base);
  let n = 0n;
  for (const c of digits) {
    const d = digitValue(c);
    if (d >= base) return { ok: false, range: false };
    n = n * b + BigInt(d);
    if (n > MAX_UINT64) return { ok: false, range: true };
  }
  return { ok: true, value: n };
}

/** Go's strconv.ParseInt(s, 0, 64) for a string without underscores. */
function parseInt64Base0(s: string): IntParse {
  if (s === '') return { ok: false, range: false };
  let neg = false;
  let rest = s;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    rest = s.slice(1);
  }
  const u = parseUint64Base0(rest);
  if (!u.ok) return u;
  if (!neg && u.value >= INT64_CUTOFF) return { ok: false, range: true };
  if (neg && u.value > INT64_CUTOFF) return { ok: false, range: true };
  return { ok: true, value: neg ? -u.value : u.value };
}

/**
 * Go's strconv.underscoreOK: underscores only between digits (or after a base prefix).
 */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  let hex = false;
  const p = s[1];
  if (s.length >= 2 && s[0] === '0' && p !== undefined && 'bBoOxX'.includes(p)) {
    i = 2;
    saw = '0';
    hex = p === 'x' || p === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if (isDigit(c) || (hex && /^[a-fA-F]$/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/**
 * Go's strconv.ParseFloat(s, 64), restricted to decimal syntax (no hex floats, no
 * inf/nan words: go-yaml only calls it on text that starts with '.' or matches
 * yamlStyleFloat). Go-style underscores are accepted. Out of range (overflow to ±Inf) is
 * an error, as in Go; underflow to 0 is not.
 */
function parseFloatDecimal(s: string): number | undefined {
  let i = 0;
  const n = s.length;
  if (s[i] === '+' || s[i] === '-') i++;
  let sawDigits = false;
  let sawDot = false;
  let underscores = false;
  for (; i < n; i++) {
    const c = s[i];
    if (c === '_') underscores = true;
    else if (c === '.') {
      if (sawDot) break;
      sawDot = true;
    } else if (isDigit(c)) sawDigits = true;
    else break;
  }
  if (!sawDigits) return undefined;
  if (i < n && (s[i] === 'e' || s[i] === 'E')) {
    i++;
    if (i >= n) return undefined;
    if (s[i] === '+' || s[i] === '-') i++;
    if (!isDigit(s[i])) return undefined;
    for (; i < n && (isDigit(s[i]) || s[i] === '_'); i++) {
      if (s[i] === '_') underscores = true;
    }
  }
  if (i !== n) return undefined;
  if (underscores && !underscoreOK(s)) return undefined;
  const value = Number(underscores ? s.replace(/_/g, '') : s);
  if (Number.isNaN(value) || !Number.isFinite(value)) return undefined;
  return value;
}

/**
 * big.Int.SetString(plain, 0) for an unsigned integer that overflowed uint64 (the
 * sigs.k8s.io/yaml goyaml.v2 fork keeps such values as ints), as the nearest double.
 * undefined when SetString would fail (Go's ParseUint reports overflow before looking at
 * the rest, so invalid digits may follow). Decimal values only get here when ParseFloat
 * overflowed, so they are +Infinity.
 */
function bigUnsignedValue(plain: string): number | undefined {
  const { base, digits } = splitBase0(plain);
  if (digits === '') return undefined;
  for (const c of digits) if (digitValue(c) >= base) return undefined;
  if (base === 10) return Number(plain);
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '0b';
  return Number(BigInt(prefix + digits)); // power-of-two radix: linear-time parse
}

/**
 * Resolve a plain (unquoted, untagged) YAML scalar the way go-yaml v2 does, i.e. what
 * kubectl, the API server and Istio see after sigs.k8s.io/yaml:
 *
 * - `y Y yes Yes YES on On ON true True TRUE` are true; `n N no No NO off Off OFF false False FALSE` are false;
 * - `~ null Null NULL` and the empty string are null;
 * - integers as Go's `strconv.ParseInt(s, 0, 64)` after removing every `_`: decimal, `0x`
 *   hex, `0b` binary, leading-`0` octal (`0777`), and also `0o` octal, because Go's strconv
 *   has accepted that prefix since Go 1.13 (go-yaml passes base 0 through). Then
 *   `ParseUint` for values up to 2^64-1; bigger hex/octal/binary values are still ints;
 * - floats as `strconv.ParseFloat` (`1.5`, `1e3`, `.5`, `-.5`), plus `.inf .Inf .INF +.inf -.inf .nan .NaN .NAN`;
 *   note `08` and `09` are floats (8, 9) because octal parsing fails first, and decimal
 *   integers beyond uint64 become floats;
 * - no base 60 (`1:30` is a string) and no timestamps (`2024-01-01` stays a string, as it
 *   does when decoded into `interface{}`); anything else is a string.
 *
 * Integer values beyond 2^53 are returned as the nearest double.
 *
 * @param source the scalar text exactly as written, without surrounding whitespace
 */
export function resolvePlainV2(source: string): GoYamlScalar {
  if (typeof source !== 'string') return NULL;
  if (source === '') return NULL;
  const first = source[0] ?? '';
  let hint: 'S' | 'D' | 'M' | '.' | undefined;
  if (first === '+' || first === '-') hint = 'S';
  else if (isDigit(first)) hint = 'D';
  else if ('yYnNtTfFoO~'.includes(first)) hint = 'M';
  else if (first === '.') hint = '.';
  if (hint === undefined) return { type: 'string', value: source };

  const known = RESOLVE_MAP.get(source);
  if (known !== undefined) return { ...known };

  if (hint === '.') {
    const f = parseFloatDecimal(source);
    if (f !== undefined) return { type: 'float', value: f };
  } else if (hint === 'S' || hint === 'D') {
    const plain = source.includes('_') ? source.replace(/_/g, '') : source;
    const asInt = parseInt64Base0(plain);
    if (asInt.ok) return { type: 'int', value: Number(asInt.value) };
    const asUint = parseUint64Base0(plain);
    if (asUint.ok) return { type: 'int', value: Number(asUint.value) };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = parseFloatDecimal(plain);
      if (f !== undefined) return { type: 'float', value: f };
    }
    // (resolve.go's explicit 0b / -0b retries can only succeed where ParseInt(s, 0, 64) already did.)
    if (asUint.range) {
      const big = bigUnsignedValue(plain);
      if (big !== undefined) return { type: 'int', value: big };
    }
  }
  return { type: 'string', value: source };
}

/**
 * Go's strconv.ParseBool: "1","t","T","TRUE","true","True" -> true;
 * "0","f","F","FALSE","false","False" -> false; anything else undefined.
 */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}
