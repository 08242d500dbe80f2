/**
 * Go duration strings, as Istio reads them (`terminationDrainDuration: 45s`,
 * `proxy.istio.io/config` drain settings, ...). `parseGoDuration` is a faithful port of
 * Go's `time.ParseDuration` (src/time/format.go), including its exact error messages and
 * its int64-nanosecond overflow limit; `formatDuration` writes a number of seconds back
 * the way a person would type it into Istio config. Pure, dependency-free, never throws,
 * linear in the input length.
 */

/** Result of {@link parseGoDuration}: seconds on success, Go's error text on failure. */
export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

const NS_PER_SECOND = 1_000_000_000n;
const MAX_SAFE_NS = BigInt(Number.MAX_SAFE_INTEGER);
/** 1<<63: Go's overflow bound for the unsigned accumulator. */
const LIMIT = 1n << 63n;

/** Go's unitMap: nanoseconds per unit. Keys are the exact unit spellings Go accepts. */
const UNITS: ReadonlyMap<string, bigint> = new Map<string, bigint>([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // U+00B5 MICRO SIGN
  ['\u03bcs', 1_000n], // U+03BC GREEK SMALL LETTER MU
  ['ms', 1_000_000n],
  ['s', NS_PER_SECOND],
  ['m', 60n * NS_PER_SECOND],
  ['h', 3600n * NS_PER_SECOND],
]);

const HEX = '0123456789abcdef';

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** UTF-8 bytes of one code point (lone surrogates encode as U+FFFD, as Node would send them). */
function utf8Bytes(cp: number): number[] {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/**
 * The `time` package's private `quote` (not strconv.Quote, which `time` cannot import):
 * ASCII printable characters as is, `"` and `\` backslash-escaped, and every control or
 * non-ASCII character as `\x..` escapes of its UTF-8 bytes.
 */
function goTimeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of utf8Bytes(cp)) out += '\\x' + HEX[b >> 4] + HEX[b & 0xf];
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

function invalid(orig: string): DurationResult {
  return { ok: false, error: 'time: invalid duration ' + goTimeQuote(orig) };
}

/** Nanoseconds (|ns| <= 2^63) to seconds, as precisely as a double allows. */
function nsToSeconds(ns: bigint): number {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  let seconds: number;
  if (abs <= MAX_SAFE_NS) {
    seconds = Number(abs) / 1e9; // one correctly rounded division of two exact values
  } else {
    seconds = Number(abs / NS_PER_SECOND) + Number(abs % NS_PER_SECOND) / 1e9;
  }
  if (seconds === 0) return 0; // never -0
  return neg ? -seconds : seconds;
}

/**
 * Parse a duration exactly like Go's `time.ParseDuration`: an optional sign, then one or
 * more `[0-9]*(\.[0-9]*)?unit` groups with units `ns`, `us`, `µs` (U+00B5), `μs` (U+03BC),
 * `ms`, `s`, `m`, `h`. A bare `0` (optionally signed) is valid; everything else needs a unit.
 * Values beyond int64 nanoseconds (about 292 years) are invalid.
 *
 * On failure `error` is Go's own message, e.g. `time: invalid duration "x"`,
 * `time: missing unit in duration "60"`, `time: unknown unit "d" in duration "1d"`.
 * Non-ASCII characters in messages are shown as `\x..` byte escapes, as Go does.
 *
 * @param s the duration text, without YAML quotes
 * @returns the duration in seconds (fractional, possibly negative), or Go's error text
 */
export function parseGoDuration(s: string): DurationResult {
  if (typeof s !== 'string') return invalid('');
  const orig = s;
  let i = 0;
  const n = s.length;
  let neg = false;
  if (n > 0 && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    i = 1;
  }
  // Special case: if all that is left is "0", this is zero.
  if (n - i === 1 && s[i] === '0') return { ok: true, seconds: 0 };
  if (i === n) return invalid(orig);

  let d = 0n;
  while (i < n) {
    // The next character must be [0-9.]
    const c0 = s.charCodeAt(i);
    if (!(c0 === 0x2e || isDigit(c0))) return invalid(orig);

    // Consume [0-9]* (leadingInt: fails on overflow past 1<<63).
    const intStart = i;
    let v = 0n;
    while (i < n && isDigit(s.charCodeAt(i))) {
      if (v > LIMIT / 10n) return invalid(orig);
      v = v * 10n + BigInt(s.charCodeAt(i) - 0x30);
      if (v > LIMIT) return invalid(orig);
      i++;
    }
    const pre = i !== intStart;

    // Consume (\.[0-9]*)? (leadingFraction: stops accumulating precision on overflow).
    let f = 0n;
    let scale = 1;
    let post = false;
    if (i < n && s[i] === '.') {
      i++;
      const fracStart = i;
      let overflow = false;
      while (i < n && isDigit(s.charCodeAt(i))) {
        if (!overflow) {
          if (f > (LIMIT - 1n) / 10n) {
            overflow = true;
          } else {
            const y = f * 10n + BigInt(s.charCodeAt(i) - 0x30);
            if (y > LIMIT) {
              overflow = true;
            } else {
              f = y;
              scale *= 10;
            }
          }
        }
        i++;
      }
      post = i !== fracStart;
    }
    if (!pre && !post) return invalid(orig); // no digits (e.g. ".s" or "-.s")

    // Consume unit: everything up to the next '.' or digit.
    const unitStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x2e || isDigit(c)) break;
      i++;
    }
    if (i === unitStart) {
      return { ok: false, error: 'time: missing unit in duration ' + goTimeQuote(orig) };
    }
    const u = s.slice(unitStart, i);
    const unit = UNITS.get(u);
    if (unit === undefined) {
      return {
        ok: false,
        error: 'time: unknown unit ' + goTimeQuote(u) + ' in duration ' + goTimeQuote(orig),
      };
    }
    if (v > LIMIT / unit) return invalid(orig);
    v *= unit;
    if (f > 0n) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale))
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) return invalid(orig);
    }
    d += v;
    if (d > LIMIT) return invalid(orig);
  }
  if (neg) return { ok: true, seconds: nsToSeconds(-d) };
  if (d > LIMIT - 1n) return invalid(orig);
  return { ok: true, seconds: nsToSeconds(d) };
}

/**
 * Format whole or fractional seconds the way a user would write them in Istio config:
 * 50 -> "50s", 0.5 -> "500ms", 90 -> "90s", 1.5 -> "1.5s", 0.000002 -> "2us".
 *
 * Whole seconds always stay in seconds (no minute/hour roll-up), so the text compares at a
 * glance with `terminationGracePeriodSeconds`. Values under a second use `ms`, `us` or `ns`,
 * whichever is whole; other fractions are decimal seconds. Rounds to the nanosecond. The
 * output always parses back with {@link parseGoDuration} (for |seconds| under ~292 years).
 * NaN and infinities, which no duration can express, come back as `String(seconds)`
 * (a non-number as `"NaN"`).
 *
 * @param seconds a number of seconds, possibly fractional or negative
 */
export function formatDuration(seconds: number): string {
  if (typeof seconds !== 'number') return 'NaN';
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? '-' : '';
  const abs = Math.abs(seconds);
  if (Number.isInteger(abs)) {
    return abs === 0 ? '0s' : sign + BigInt(abs).toString() + 's';
  }
  const totalNs = Math.round(abs * 1e9);
  if (!Number.isSafeInteger(totalNs)) return sign + String(abs) + 's'; // huge: keep JS's digits
  if (totalNs === 0) return '0s';
  const ns = BigInt(totalNs);
  const whole = ns / NS_PER_SECOND;
  const frac = ns % NS_PER_SECOND;
  if (whole === 0n) {
    if (frac % 1_000_000n === 0n) return sign + String(frac / 1_000_000n) + 'ms';
    if (frac % 1_000n === 0n) return sign + String(frac / 1_000n) + 'us';
    return sign + String(frac) + 'ns';
  }
  if (frac === 0n) return sign + String(whole) + 's';
  return sign + String(whole) + '.' + String(frac).padStart(9, '0').replace(/0+$/, '') + 's';
}
