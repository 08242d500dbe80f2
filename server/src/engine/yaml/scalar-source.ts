/*
 * Maps the characters of a YAML scalar's string value back to offsets in the outer
 * file text, and turns edits of that string value into edits of the outer text.
 *
 * Kubernetes annotation values and ConfigMap data values are often YAML or JSON
 * documents stored inside a scalar. Rules parse that inner string again; this module
 * lets them report findings at the exact outer position and offer fixes that edit the
 * inner document while keeping the outer scalar's style (quotes, block indicators,
 * indentation, line endings).
 *
 * The mapping mirrors, step by step, how the `yaml` package resolves each scalar
 * style, and is checked character by character against the value the library
 * produced. Any mismatch falls back to an inexact map that points at the start of
 * the scalar.
 */

import { isScalar, parseDocument, visit } from 'yaml';
import type { Document, Scalar } from 'yaml';
import { parseDocumentsAt, parseEditedDocument } from './stream';
import { fastFacts, fastOptions, fastParseDocument } from './fast-parse';
import { addDuplicateKeyErrors } from './unique-keys';

/** The five YAML scalar styles, as `yaml` names them in `Scalar.type`. */
export type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE' | 'BLOCK_LITERAL' | 'BLOCK_FOLDED';

/** A scalar's string value together with the outer offset of each of its characters. */
export interface ScalarSource {
  /** The scalar's string value, as YAML reads it. */
  value: string;
  style: ScalarStyle;
  /**
   * offsets[i] = outer offset of inner character i; offsets[value.length] = outer offset just
   * after the last content character. Length value.length + 1.
   *
   * Inner character i owns the outer text [offsets[i], offsets[i + 1]): white space that
   * folding trims belongs to the character before it, and the indentation of a
   * continuation line belongs to the line break (or folding space) before it.
   */
  offsets: number[];
  /** false when the exact mapping could not be built and offsets fell back to the scalar's start (rules then point at the whole scalar). */
  exact: boolean;
  /** Outer range of the whole scalar value [start, valueEnd). */
  outer: { start: number; end: number };
  /** For block scalars: the content indentation (number of spaces) and the line-ending used ("\n" or "\r\n"). */
  indent?: number;
  eol: string;
}

const STYLES: readonly string[] = ['PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'];

/** The minimal shape of the CST block scalar token that this module reads. */
interface BlockToken {
  type: 'block-scalar';
  offset: number;
  indent: number;
  props: Array<{ type: string; source?: unknown }>;
  source: string;
}

/** What a style-specific builder produces: the offsets of the (already verified) value. */
interface Built {
  offsets: number[];
  indent?: number;
}

/**
 * Collects offsets while checking, character by character, that the emitted text equals
 * the value the library produced. Comparing as we go avoids building a second copy of a
 * megabyte value, and the offsets array is allocated once at its final size, which is
 * several times faster than growing it.
 */
class Builder {
  private readonly offsets: number[];
  private count = 0;
  private ok = true;
  /** Outer offset just after the source of the last emitted character. */
  lastEnd = -1;

  /**
   * @param expected The library's value, which the emitted text must reproduce.
   * @param collapseQuotes Emit each `''` inside a run as one `'` (single-quoted scalars).
   */
  constructor(
    private readonly text: string,
    private readonly expected: string,
    private readonly collapseQuotes = false,
  ) {
    this.offsets = new Array<number>(expected.length + 1);
  }

  /** The last emitted character, or '' before any. */
  get lastChar(): string {
    return this.count > 0 ? (this.expected[this.count - 1] ?? '') : '';
  }

  /** Emits text[from, to) unchanged; each character maps to itself. */
  run(from: number, to: number): void {
    if (!this.ok || to <= from) return;
    const { text, expected, offsets } = this;
    let c = this.count;
    for (let k = from; k < to; ++k) {
      const ch = text.charCodeAt(k);
      // The library replaces "''" after unfolding. A pair never spans two runs (a lone
      // quote would have ended the scalar), so collapsing within runs is equivalent.
      if (ch === 39 && this.collapseQuotes && k + 1 < to && text.charCodeAt(k + 1) === 39) {
        if (expected.charCodeAt(c) !== 39) return this.fail();
        offsets[c++] = k++;
        continue;
      }
      if (expected.charCodeAt(c) !== ch) return this.fail();
      offsets[c++] = k;
    }
    this.count = c;
    this.lastEnd = to;
  }

  /** Emits produced text (an escape, a fold) whose characters all map to `at`. */
  produced(str: string, at: number, end: number): void {
    if (!this.ok) return;
    for (let k = 0; k < str.length; ++k) {
      if (this.expected.charCodeAt(this.count) !== str.charCodeAt(k)) return this.fail();
      this.offsets[this.count++] = at;
    }
    this.lastEnd = end;
  }

  /** The offsets with the sentinel appended, or undefined if the text did not match the value. */
  finish(sentinel: number): Built | undefined {
    if (!this.ok || this.count !== this.expected.length) return undefined;
    this.offsets[this.count] = sentinel;
    return { offsets: this.offsets };
  }

  private fail(): void {
    this.ok = false;
  }
}

const isWs = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';

/** Outer offset just after a line break that starts at `p` (or `p` itself at a synthetic break). */
function breakEnd(text: string, p: number): number {
  if (text[p] === '\r' && text[p + 1] === '\n') return p + 2;
  if (text[p] === '\n' || text[p] === '\r') return p + 1;
  return p;
}

/**
 * Mirrors `unfoldLines` of the yaml package over text[from, to): a line break between
 * non-empty lines becomes a space, each empty line becomes "\n", and white space around
 * line breaks is trimmed (except the first line's leading and the last line's trailing).
 */
function unfold(text: string, from: number, to: number, b: Builder): void {
  let nl = text.indexOf('\n', from);
  if (nl === -1 || nl >= to) {
    b.run(from, to);
    return;
  }
  // The first line keeps its leading white space but loses trailing white space.
  let e = nl > from && text[nl - 1] === '\r' ? nl - 1 : nl;
  let t = e;
  while (t > from && isWs(text[t - 1])) --t;
  b.run(from, t);
  let sep = ' ';
  let sepAt = e;
  let pos = nl + 1;
  while ((nl = text.indexOf('\n', pos)) !== -1 && nl < to) {
    e = nl > pos && text[nl - 1] === '\r' ? nl - 1 : nl;
    let s = pos;
    while (s < e && isWs(text[s])) ++s;
    t = e;
    while (t > s && isWs(text[t - 1])) --t;
    if (s === t) {
      // An empty line: the pending break (if already "\n") is emitted, and this line's
      // break becomes the pending "\n".
      if (sep === '\n') b.produced('\n', sepAt, breakEnd(text, sepAt));
      sep = '\n';
    } else {
      b.produced(sep, sepAt, breakEnd(text, sepAt));
      b.run(s, t);
      sep = ' ';
    }
    sepAt = e;
    pos = nl + 1;
  }
  // The last line loses leading white space only; the separator is always emitted.
  let s = pos;
  while (s < to && isWs(text[s])) ++s;
  b.produced(sep, sepAt, breakEnd(text, sepAt));
  b.run(s, to);
}

function buildPlain(text: string, start: number, end: number, expected: string): Built | undefined {
  const b = new Builder(text, expected);
  unfold(text, start, end, b);
  return b.finish(end);
}

function buildSingle(text: string, start: number, end: number, expected: string): Built | undefined {
  const b = new Builder(text, expected, true);
  // The library slices off the first and last character whether or not they are quotes.
  const from = start + 1;
  const to = Math.max(from, end - 1);
  unfold(text, from, to, b);
  return b.finish(to);
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

/** Mirrors `doubleQuotedValue` of the yaml package; escapes map to their backslash. */
function buildDouble(text: string, start: number, end: number, expected: string): Built | undefined {
  const b = new Builder(text, expected);
  // Reads within the scalar's source only, as the library does on its sliced string.
  const at = (k: number): string | undefined => (k < end ? text[k] : undefined);
  const last = end - 1;
  for (let i = start + 1; i < last; ++i) {
    const ch = text[i];
    if (ch === '\r' && at(i + 1) === '\n') continue;
    if (ch === '\n') {
      // A folded line break: one space, or one "\n" per following empty line. Each
      // produced "\n" maps to the break of the empty line that produced it.
      const first = i > start && text[i - 1] === '\r' ? i - 1 : i;
      let count = 0;
      let off = i;
      let c = at(off + 1);
      while (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        if (c === '\r' && at(off + 2) !== '\n') break;
        if (c === '\n') {
          const brk = text[off] === '\r' ? off : off + 1;
          b.produced('\n', brk, breakEnd(text, brk));
          ++count;
        }
        off += 1;
        c = at(off + 1);
      }
      if (count === 0) b.produced(' ', first, breakEnd(text, first));
      i = off;
    } else if (ch === '\\') {
      const bs = i;
      let next = at(++i);
      const cc = next !== undefined && Object.prototype.hasOwnProperty.call(ESCAPES, next) ? ESCAPES[next] : undefined;
      if (cc) {
        b.produced(cc, bs, i + 1);
      } else if (next === '\n') {
        // An escaped line break produces nothing; the next line's leading white space is trimmed.
        next = at(i + 1);
        while (next === ' ' || next === '\t') next = at(++i + 1);
      } else if (next === '\r' && at(i + 1) === '\n') {
        next = at(++i + 1);
        while (next === ' ' || next === '\t') next = at(++i + 1);
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const cs = text.slice(i + 1, Math.min(i + 1 + length, end));
        const ok = cs.length === length && /^[0-9a-fA-F]+$/.test(cs);
        const code = ok ? parseInt(cs, 16) : NaN;
        let str: string | undefined;
        try {
          str = String.fromCodePoint(code);
        } catch {
          str = undefined;
        }
        if (str !== undefined) {
          b.produced(str, bs, Math.min(i + 1 + length, end));
        } else {
          // The library keeps an invalid escape's raw text.
          b.run(bs, Math.min(bs + length + 2, end));
        }
        i += length;
      } else {
        b.run(bs, Math.min(bs + 2, end));
      }
    } else if (ch === ' ' || ch === '\t') {
      // White space right before a line break is trimmed; elsewhere it is kept.
      const wsStart = i;
      let next = at(i + 1);
      while (next === ' ' || next === '\t') next = at(++i + 1);
      if (next !== '\n' && !(next === '\r' && at(i + 2) === '\n')) b.run(wsStart, i + 1);
    } else {
      // Copy the whole run of ordinary characters at once; long JSON values are mostly this.
      let j = i + 1;
      while (j < last) {
        const c = text.charCodeAt(j);
        if (c === 92 /* \ */ || c === 10 || c === 13 || c === 32 || c === 9) break;
        ++j;
      }
      b.run(i, j);
      i = j - 1;
    }
  }
  const closed = end - start > 1 && text[end - 1] === '"';
  return b.finish(closed ? end - 1 : end);
}

/** Mirrors `resolveBlockScalar` (and its header parser) of the yaml package. */
function buildBlock(text: string, tok: BlockToken, folded: boolean, expected: string): Built | undefined {
  const head = tok.props[0];
  if (!head || head.type !== 'block-scalar-header' || typeof head.source !== 'string') return undefined;
  const hs = head.source;
  let explicit = 0;
  let chomp = '';
  for (let i = 1; i < hs.length; ++i) {
    const ch = hs[i] as string;
    if (!chomp && (ch === '-' || ch === '+')) chomp = ch;
    else {
      const n = Number(ch);
      if (!explicit && n) explicit = n;
    }
  }
  let headerLength = 0;
  for (const p of tok.props) {
    if (typeof p.source !== 'string') return undefined;
    headerLength += p.source.length;
  }
  const src = tok.source;
  const base = tok.offset + headerLength;
  // The offsets below index the outer text, so it must hold the CST's source right there.
  if (!text.startsWith(src, base)) return undefined;

  // Split into lines: start of line, number of leading spaces, end of line (the "\n" or the end).
  const starts: number[] = [];
  const indents: number[] = [];
  const ends: number[] = [];
  if (src.length > 0) {
    let p = 0;
    for (;;) {
      let q = p;
      while (src.charCodeAt(q) === 32) ++q;
      const nl = src.indexOf('\n', q);
      starts.push(p);
      indents.push(q - p);
      ends.push(nl === -1 ? src.length : nl);
      if (nl === -1) break;
      p = nl + 1;
    }
  }
  const n = starts.length;
  const cStart = (i: number): number => (starts[i] as number) + (indents[i] as number);
  const rawEmpty = (i: number): boolean => {
    const len = (ends[i] as number) - cStart(i);
    return len === 0 || (len === 1 && src[cStart(i)] === '\r');
  };
  const crlf = (i: number): boolean => (ends[i] as number) > cStart(i) && src[(ends[i] as number) - 1] === '\r';
  /** Outer offset of the line break ending line i (its "\r" for CRLF, the end for the last line). */
  const brk = (i: number): number => base + (ends[i] as number) - (crlf(i) ? 1 : 0);

  const b = new Builder(text, expected);
  const brkChar = (i: number): void => {
    const p = brk(i);
    b.produced('\n', p, breakEnd(text, p));
  };

  let chompStart = n;
  for (let i = n - 1; i >= 0; --i) {
    if (rawEmpty(i)) chompStart = i;
    else break;
  }
  if (chompStart === 0) {
    // Only empty lines: the value is empty, or line breaks for keep chomping.
    const count = chomp === '+' && n > 0 ? Math.max(1, n - 1) : 0;
    for (let k = 0; k < count; ++k) brkChar(Math.min(k, n - 1));
    const built = b.finish(count > 0 ? b.lastEnd : base);
    // There is no content line to take the indentation from; new content would go two
    // spaces deeper than the parent, unless the header fixes the indentation.
    if (built) built.indent = tok.indent + (explicit || 2);
    return built;
  }

  let trimIndent = tok.indent + explicit;
  let contentStart = 0;
  for (let i = 0; i < chompStart; ++i) {
    if (rawEmpty(i)) {
      if (explicit === 0 && (indents[i] as number) > trimIndent) trimIndent = indents[i] as number;
    } else {
      if (explicit === 0) trimIndent = indents[i] as number;
      contentStart = i;
      break;
    }
  }
  for (let i = n - 1; i >= chompStart; --i) {
    if ((indents[i] as number) > trimIndent) chompStart = i + 1;
  }
  /** Emits the part of line i's indentation beyond the content indentation. */
  const extraIndent = (i: number): void => {
    if ((indents[i] as number) > trimIndent) b.run(base + (starts[i] as number) + trimIndent, base + cStart(i));
  };

  // Leading empty lines are kept intact.
  for (let i = 0; i < contentStart; ++i) {
    extraIndent(i);
    brkChar(i);
  }
  let sep = '';
  let sepAt: number[] = [];
  let lastBreak = -1;
  let prevMoreIndented = false;
  const emitSep = (): void => {
    for (let k = 0; k < sep.length; ++k) {
      const p = sepAt[k] ?? sepAt[0] ?? base;
      b.produced(sep[k] as string, p, breakEnd(text, p));
    }
  };
  for (let i = contentStart; i < chompStart; ++i) {
    const cs = cStart(i);
    const ce = (ends[i] as number) - (crlf(i) ? 1 : 0);
    const empty = ce === cs;
    // A content line indented less than the block is an error the library reports; it
    // then treats the line as having no indentation.
    const lessIndented = !empty && (indents[i] as number) < trimIndent;
    const indentLen = lessIndented ? 0 : (indents[i] as number);
    const here = brk(i);
    if (!folded) {
      emitSep();
      if (!lessIndented) extraIndent(i);
      b.run(base + cs, base + ce);
      sep = '\n';
      sepAt = [here];
    } else if (indentLen > trimIndent || src[cs] === '\t') {
      // More-indented lines keep their line breaks in a folded scalar.
      if (sep === ' ') sep = '\n';
      else if (!prevMoreIndented && sep === '\n') {
        sep = '\n\n';
        sepAt = [lastBreak >= 0 ? lastBreak : (sepAt[0] ?? here), sepAt[0] ?? here];
      }
      emitSep();
      if (!lessIndented) extraIndent(i);
      b.run(base + cs, base + ce);
      sep = '\n';
      sepAt = [here];
      lastBreak = here;
      prevMoreIndented = true;
    } else if (empty) {
      if (sep === '\n') emitSep();
      else sep = '\n';
      sepAt = [here];
    } else {
      emitSep();
      b.run(base + cs, base + ce);
      sep = ' ';
      sepAt = [here];
      lastBreak = here;
      prevMoreIndented = false;
    }
  }
  if (chomp === '+') {
    for (let i = chompStart; i < n; ++i) {
      brkChar(i - 1);
      extraIndent(i);
    }
    // The library appends a final "\n" when the kept tail does not end with one.
    if (b.lastChar !== '\n') brkChar(n - 1);
  } else if (chomp !== '-') {
    brkChar(chompStart - 1);
  }
  const built = b.finish(b.lastEnd);
  if (built) built.indent = trimIndent;
  return built;
}

/** The line ending used around `at`: the first line break at or after it, else the first in the text. */
function detectEol(text: string, at: number): string {
  let nl = text.indexOf('\n', at);
  if (nl === -1) nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** The library's value as a string: the string value, or the resolved source of a non-string scalar. */
function libraryValue(text: string, node: Scalar, start: number, end: number): string {
  const v: unknown = node.value;
  if (typeof v === 'string') return v;
  if (typeof node.source === 'string') return node.source;
  return text.slice(start, end);
}

/**
 * Builds the map from a scalar's string value to the outer text. Never throws; on any
 * doubt (unknown style, missing CST token, a reconstructed value that differs from the
 * library's) it returns `exact: false` with every offset at the scalar's start.
 */
export function scalarSource(text: string, node: Scalar): ScalarSource {
  let start = 0;
  let end = 0;
  let value = '';
  let style: ScalarStyle = 'PLAIN';
  let eol = '\n';
  try {
    const range = node.range;
    if (range) {
      start = Math.max(0, Math.min(range[0], text.length));
      end = Math.max(start, Math.min(range[1], text.length));
    }
    if (typeof node.type === 'string' && STYLES.includes(node.type)) style = node.type as ScalarStyle;
    value = libraryValue(text, node, start, end);
    eol = detectEol(text, start);
    if (!range || typeof node.type !== 'string' || !STYLES.includes(node.type)) {
      return fallback(value, style, start, end, eol);
    }
    let built: Built | undefined;
    switch (style) {
      case 'PLAIN':
        built = buildPlain(text, start, end, value);
        break;
      case 'QUOTE_SINGLE':
        built = buildSingle(text, start, end, value);
        break;
      case 'QUOTE_DOUBLE':
        built = buildDouble(text, start, end, value);
        break;
      default: {
        const tok = node.srcToken as unknown as BlockToken | undefined;
        if (tok && tok.type === 'block-scalar' && tok.offset === start && Array.isArray(tok.props) && typeof tok.source === 'string') {
          built = buildBlock(text, tok, style === 'BLOCK_FOLDED', value);
        }
      }
    }
    if (!built || built.offsets.length !== value.length + 1) {
      return fallback(value, style, start, end, eol);
    }
    const out: ScalarSource = { value, style, offsets: built.offsets, exact: true, outer: { start, end }, eol };
    if (built.indent !== undefined) out.indent = built.indent;
    return out;
  } catch {
    return fallback(value, style, start, end, eol);
  }
}

function fallback(value: string, style: ScalarStyle, start: number, end: number, eol: string): ScalarSource {
  const offsets = new Array<number>(value.length + 1).fill(start);
  return { value, style, offsets, exact: false, outer: { start, end }, eol };
}

function clampIndex(i: number, max: number): number {
  if (!Number.isFinite(i)) return i === Infinity ? max : 0;
  return Math.max(0, Math.min(Math.trunc(i), max));
}

/**
 * Maps an inner range [innerStart, innerEnd) to an outer range. Out-of-range inputs are
 * clamped; an empty inner range maps to an empty outer range. The outer end is the outer
 * offset of the next inner character, so a range that ends with a folded or kept line
 * break extends over the next line's indentation.
 */
export function toOuterRange(src: ScalarSource, innerStart: number, innerEnd: number): { start: number; end: number } {
  const len = src.value.length;
  const a = clampIndex(innerStart, len);
  const b = Math.max(a, clampIndex(innerEnd, len));
  const start = src.offsets[a] ?? src.outer.start;
  if (a === b) return { start, end: start };
  const end = src.offsets[b] ?? src.outer.end;
  return { start, end: Math.max(start, end) };
}

/** Characters that only double quotes can hold, as escapes (C0 controls but tab, DEL, C1, BOM). */
const NON_PRINTABLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]/;

/** Whether `s` contains a lone surrogate, which YAML cannot represent. */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; ++i) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) ++i;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Escapes for double quotes. A literal tab right before a folded line break would be trimmed, so tabs are escaped too. */
const DOUBLE_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
  '\ufeff': '\\uFEFF',
};

function escapeDouble(s: string): string {
  let out = '';
  for (const ch of s) {
    const esc = DOUBLE_ESCAPES[ch];
    const c = ch.charCodeAt(0);
    if (esc !== undefined) out += esc;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

const isLowSurrogate = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff;
};

/**
 * The outer edit that replaces inner [innerStart, innerEnd) with `newInner`, keeping the
 * scalar's style. Returns undefined when that cannot be done safely: an inexact map; a
 * line break into a plain or single-quoted scalar; a plain scalar whose new text would
 * need quoting or would read as another type; flow indicators inserted into a plain
 * scalar (it may sit in a flow collection); control characters outside double quotes;
 * an edit in a folded `>` scalar (or any block scalar) whose result YAML would read
 * differently. Edits of multi-line flow scalars and of block scalars are checked by
 * re-parsing the edited document.
 */
export function innerEdit(
  text: string,
  src: ScalarSource,
  innerStart: number,
  innerEnd: number,
  newInner: string,
): { start: number; end: number; newText: string } | undefined {
  try {
    if (!src.exact || typeof newInner !== 'string') return undefined;
    const v = src.value;
    const a = clampIndex(innerStart, v.length);
    const b = Math.max(a, clampIndex(innerEnd, v.length));
    // An edit boundary inside a surrogate pair would split one escape or character.
    if ((a > 0 && a < v.length && isLowSurrogate(v, a)) || (b > 0 && b < v.length && isLowSurrogate(v, b))) return undefined;
    if (hasLoneSurrogate(newInner)) return undefined;
    const start = src.offsets[a];
    const end = src.offsets[b];
    if (start === undefined || end === undefined || end < start) return undefined;
    if (start < src.outer.start || end > src.outer.end) return undefined;
    const expected = v.slice(0, a) + newInner + v.slice(b);
    const nl = text.indexOf('\n', src.outer.start);
    const multiLine = nl !== -1 && nl < src.outer.end;

    switch (src.style) {
      case 'PLAIN':
        return plainEdit(text, src, start, end, newInner, expected, multiLine);
      case 'QUOTE_SINGLE': {
        if (/[\r\n]/.test(newInner) || NON_PRINTABLE.test(newInner)) return undefined;
        const edit = { start, end, newText: newInner.replace(/'/g, "''") };
        return multiLine ? verified(text, src, edit, expected) : edit;
      }
      case 'QUOTE_DOUBLE': {
        // A boundary right after an odd run of backslashes would sit inside an escape.
        for (const p of [start, end]) {
          let k = p;
          while (k > src.outer.start && text[k - 1] === '\\') --k;
          if ((p - k) % 2 === 1) return undefined;
        }
        const edit = { start, end, newText: escapeDouble(newInner) };
        return multiLine ? verified(text, src, edit, expected) : edit;
      }
      default:
        return blockEdit(text, src, start, end, newInner, expected);
    }
  } catch {
    return undefined;
  }
}

function plainEdit(
  text: string,
  src: ScalarSource,
  start: number,
  end: number,
  newInner: string,
  expected: string,
  multiLine: boolean,
): { start: number; end: number; newText: string } | undefined {
  // Folding rules make line breaks and multi-line plain scalars unsafe to edit, and flow
  // indicators would end the scalar inside a flow collection, which cannot be seen here.
  if (multiLine || /[\r\n,[\]{}]/.test(newInner) || NON_PRINTABLE.test(newInner)) return undefined;
  const oldText = text.slice(src.outer.start, src.outer.end);
  const newText = text.slice(src.outer.start, start) + newInner + text.slice(end, src.outer.end);
  if (newText !== expected) return undefined;
  // Parse the scalar alone: it must stay one plain scalar with the expected text, and
  // resolve to the same kind of value (a string must not turn into a number or bool).
  const before = parseDocument(oldText, { prettyErrors: false });
  const after = parseDocument(newText, { prettyErrors: false });
  const n0 = before.contents;
  const n1 = after.contents;
  if (after.errors.length > 0 || !isScalar(n1) || !isScalar(n0)) return undefined;
  if (n1.type !== 'PLAIN' || n1.source !== expected || !n1.range || n1.range[0] !== 0 || n1.range[1] !== newText.length) return undefined;
  if (typeof n1.value !== typeof n0.value || (n0.value === null) !== (n1.value === null)) return undefined;
  return { start, end, newText: newInner };
}

function blockEdit(
  text: string,
  src: ScalarSource,
  start: number,
  end: number,
  newInner: string,
  expected: string,
): { start: number; end: number; newText: string } | undefined {
  if (/\r/.test(newInner) || NON_PRINTABLE.test(newInner)) return undefined;
  const ind = ' '.repeat(src.indent ?? 0);
  const eol = src.eol;
  const pieces = newInner.split('\n');
  // Text placed where its line holds only spaces, fewer than the content indentation
  // (a line start after the value's final break, or an empty line), needs padding up
  // to the indentation; elsewhere the preceding break already owns the indentation.
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const before = text.slice(lineStart, start);
  const pad = /^ *$/.test(before) && before.length < ind.length ? ind.slice(before.length) : '';
  let out = '';
  pieces.forEach((piece, j) => {
    if (j > 0) out += eol;
    if (piece === '') return;
    out += j > 0 ? ind : pad;
    out += piece;
  });
  // A trailing "\n" moves the rest of the old line to a new line; it needs indentation
  // unless it is itself a line break, the end of the text, or already a whole line.
  if (pieces.length > 1 && pieces[pieces.length - 1] === '') {
    const next = text[end];
    const endAtLineStart = end > 0 && text[end - 1] === '\n';
    if (next !== undefined && next !== '\n' && next !== '\r' && !endAtLineStart) out += ind;
  }
  return verified(text, src, { start, end, newText: out }, expected);
}

/**
 * Applies the edit, re-parses the edited document and checks that the scalar at the same start
 * keeps its style, reads as `expected`, ends where the edit says, and has no errors.
 */
function verified(
  text: string,
  src: ScalarSource,
  edit: { start: number; end: number; newText: string },
  expected: string,
): { start: number; end: number; newText: string } | undefined {
  const delta = edit.newText.length - (edit.end - edit.start);
  const newEnd = src.outer.end + delta;
  // `before`: errors from there on are not the scalar's (in a block scalar's own lines, the line after it is parsed out of its context).
  const check = (list: Document.Parsed[], before = newEnd + 1): boolean => {
    let found: Scalar | undefined;
    for (const doc of list) {
      if (!doc.range || doc.range[0] > src.outer.start || doc.range[2] < src.outer.start) continue;
      visit(doc, {
        Scalar(_key, node) {
          if (node.range && node.range[0] === src.outer.start) {
            found = node;
            return visit.BREAK;
          }
          return undefined;
        },
      });
      for (const err of doc.errors) {
        if (err.pos[0] >= src.outer.start && err.pos[0] < before) return false;
      }
      if (found) break;
    }
    if (!found || !found.range || found.type !== src.style || found.range[1] !== newEnd) return false;
    const value: unknown = found.value;
    return typeof value === 'string' && value === expected;
  };
  // A block scalar of a document that parsed is in block context, and reads the same in its own
  // lines: its key's line through the first content line after it. That is checked first (a
  // fix costs a line or two to check, not a document); the edited document only when it says no.
  if (src.style === 'BLOCK_LITERAL' || src.style === 'BLOCK_FOLDED') {
    const lines = scalarLines(text, edit, src.outer.start, src.outer.end);
    // Its range ends after its last line break: the next line (say `kind:` after an indented key) starts a new node there.
    if (lines && check(lines, newEnd)) return edit;
  }
  // Only the edited document: re-parsing (or even rebuilding) the whole file would cost a full parse per fix.
  return check(parseEditedDocument(text, edit, src.outer.start, { prettyErrors: false })) ? edit : undefined;
}

/**
 * The lines of a block scalar after an edit, parsed alone at their offset: from the line of its
 * header through the first line with content after its end (which ends it, as it does in the
 * document). Undefined when the edit reaches outside them or a document marker is among them.
 */
function scalarLines(text: string, edit: { start: number; end: number; newText: string }, start: number, end: number): Document.Parsed[] | undefined {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  if (edit.start < lineStart || edit.end > end) return undefined;
  let i = text[end - 1] === '\n' ? end : text.indexOf('\n', end) + 1;
  let until = text.length;
  while (i > 0 && i < text.length) {
    const nl = text.indexOf('\n', i);
    const lineEnd = nl < 0 ? text.length : nl + 1;
    if (/\S/.test(text.slice(i, lineEnd))) {
      until = lineEnd;
      break;
    }
    i = lineEnd;
  }
  const segment = text.slice(lineStart, edit.start) + edit.newText + text.slice(edit.end, until);
  if (/(?:^|\n)(?:---|\.\.\.)(?:[ \t\r\n]|$)|(?:^|\n)%/.test(segment)) return undefined;
  // The line after the scalar usually belongs to an enclosing collection (say `spec:` after an
  // annotation): shallower than the key's line, it only ends the scalar, and the package reports
  // it as an error the check ignores (it comes after the scalar). The fast path gives up on such
  // a line, so it is given the lines before it, which hold the same scalar.
  if (until < text.length || !segment.endsWith('\n')) {
    const last = segment.lastIndexOf('\n', segment.length - 2) + 1;
    if (last > 0 && indentOf(segment, last) < indentOf(segment, 0)) {
      const head = parseFastOnly(segment.slice(0, last), lineStart);
      if (head) return head;
    }
  }
  return parseDocumentsAt(segment, lineStart, SEGMENT_OPTIONS);
}

/** As `{ prettyErrors: false }` (duplicate keys reported), with source tokens: the fast path's options. */
const SEGMENT_OPTIONS = { prettyErrors: false, keepSourceTokens: true } as const;

/** The document of `source` at `offset` when the fast path reads it (duplicate keys added), else undefined. */
function parseFastOnly(source: string, offset: number): Document.Parsed[] | undefined {
  const doc = fastOptions(SEGMENT_OPTIONS) ? fastParseDocument(source, offset) : undefined;
  if (!doc) return undefined;
  if (fastFacts(doc)!.repeats) addDuplicateKeyErrors(doc);
  return [doc];
}

/** The spaces at the start of the line at `i`. */
function indentOf(text: string, i: number): number {
  let j = i;
  while (text.charCodeAt(j) === 32) j++;
  return j - i;
}
