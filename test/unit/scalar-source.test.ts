/*
 * Tests for the scalar source map: every scalar style maps its value's characters back
 * to the outer text exactly, and inner edits become outer edits that YAML reads back as
 * the intended value.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Scalar } from 'yaml';
import { innerEdit, scalarSource, toOuterRange } from '../../server/src/engine/yaml/scalar-source';

/** Parses like the engine does and returns the scalar under key `v` (or its first list item). */
function findScalar(text: string, key = 'v'): Scalar {
  const docs = parseAllDocuments(text, { prettyErrors: false, keepSourceTokens: true });
  let found: Scalar | undefined;
  for (const doc of Array.isArray(docs) ? docs : []) {
    if (key === '' && isScalar(doc.contents)) return doc.contents;
    visit(doc, {
      Pair(_k, pair) {
        if (isPair(pair) && isScalar(pair.key) && pair.key.value === key) {
          const v = pair.value;
          if (isScalar(v)) found = v;
          else if (isSeq(v) && isScalar(v.items[0])) found = v.items[0];
          if (found) return visit.BREAK;
        }
        return undefined;
      },
    });
    if (found) return found;
  }
  throw new Error(`no scalar under ${key}`);
}

function libValue(node: Scalar): string {
  return typeof node.value === 'string' ? node.value : String(node.source);
}

interface Case {
  name: string;
  text: string;
  key?: string;
  style: string;
  /** The expected value, when worth stating; it is always compared with the library's. */
  value?: string;
  /** Inner index and the outer text expected there, for spot checks. */
  at?: Array<[number, string]>;
}

const big = JSON.stringify(
  Object.fromEntries(Array.from({ length: 22000 }, (_, i) => [`key${i}`, `value ${i} with 'quotes' and "double" é`])),
);

const cases: Case[] = [
  { name: 'plain', text: 'a: 1\nv: hello world\n', style: 'PLAIN', value: 'hello world' },
  { name: 'plain number', text: 'v: 8080\n', style: 'PLAIN', value: '8080' },
  { name: 'plain with non-ASCII before and inside', text: 'é: 1\nk😀: x\nv: héllo 😀 wörld\n', style: 'PLAIN', value: 'héllo 😀 wörld' },
  { name: 'plain multi-line with blank line', text: 'v: first line\n  second   \n\n  third\nw: 1\n', style: 'PLAIN', value: 'first line second\nthird' },
  { name: 'plain with tab inside', text: 'v: a\tb\n', style: 'PLAIN', value: 'a\tb' },
  { name: 'plain with lone CR inside', text: 'v: a\rb\n', style: 'PLAIN', value: 'a\rb' },
  { name: 'plain multi-line CRLF', text: 'v: one\r\n  two\r\n\r\n  three\r\n', style: 'PLAIN', value: 'one two\nthree' },
  { name: 'single-quoted', text: `v: 'it''s {"a": 1}'\n`, style: 'QUOTE_SINGLE', value: `it's {"a": 1}` },
  { name: 'single-quoted empty', text: `v: ''\n`, style: 'QUOTE_SINGLE', value: '' },
  { name: 'single-quoted only escapes', text: `v: ''''''\n`, style: 'QUOTE_SINGLE', value: `''` },
  {
    name: 'single-quoted multi-line folding',
    text: "v: 'a  \n   b\n\n\n  c ''d'' '\nw: x\n",
    style: 'QUOTE_SINGLE',
    value: "a b\n\nc 'd' ",
  },
  { name: 'single-quoted multi-line CRLF', text: "v: 'a\r\n  b\r\n\r\n  c'\r\n", style: 'QUOTE_SINGLE', value: 'a b\nc' },
  { name: 'single-quoted with tabs', text: "v: '\ta\tb\t'\n", style: 'QUOTE_SINGLE', value: '\ta\tb\t' },
  {
    name: 'double-quoted escapes',
    text: 'v: "tab\\there \\"q\\" \\\\ \\/ \\0\\a\\b\\e\\f\\r\\v\\N\\_\\L\\P\\ \\x41 \\u00e9 \\U0001F600 end"\n',
    style: 'QUOTE_DOUBLE',
    value: 'tab\there "q" \\ / \0\x07\b\x1b\f\r\v\u0085\u00a0\u2028\u2029 A é 😀 end',
    at: [[3, '\\'], [4, 'h']],
  },
  { name: 'double-quoted empty', text: 'v: ""\n', style: 'QUOTE_DOUBLE', value: '' },
  {
    name: 'double-quoted multi-line with escaped break and folding',
    text: 'v: "one \\\n   two  \n  three\n\n\n  four\\\n  "\nw: 1\n',
    style: 'QUOTE_DOUBLE',
    value: 'one two three\n\nfour',
  },
  { name: 'double-quoted CRLF folding', text: 'v: "a \\\r\n  b\r\n  c\r\n\r\n  d"\r\n', style: 'QUOTE_DOUBLE', value: 'a b c\nd' },
  { name: 'double-quoted literal tab and non-ASCII', text: 'é😀: "x"\nv: "\tx é😀\t y"\n', style: 'QUOTE_DOUBLE', value: '\tx é😀\t y' },
  { name: 'double-quoted JSON', text: 'v: "{\\"a\\": [1, 2], \\"b\\": \\"c\\\\d\\"}"\n', style: 'QUOTE_DOUBLE', value: '{"a": [1, 2], "b": "c\\d"}' },
  {
    name: 'literal clip with comment-like and blank lines',
    text: 'v: |\n  line1\n    indented\n  # not a comment\n\n  last\nw: 1\n',
    style: 'BLOCK_LITERAL',
    value: 'line1\n  indented\n# not a comment\n\nlast\n',
  },
  { name: 'literal header comment', text: 'v: | # header comment\n  x\n  y\n', style: 'BLOCK_LITERAL', value: 'x\ny\n' },
  { name: 'literal strip', text: 'v: |-\n  a\n  b\n\n\nw: 1\n', style: 'BLOCK_LITERAL', value: 'a\nb' },
  { name: 'literal keep', text: 'v: |+\n  a\n  b\n\n\nw: 1\n', style: 'BLOCK_LITERAL', value: 'a\nb\n\n\n' },
  { name: 'literal keep at EOF without break', text: 'v: |+\n  a', style: 'BLOCK_LITERAL', value: 'a\n' },
  { name: 'literal clip at EOF without break', text: 'v: |\n  a\n  b', style: 'BLOCK_LITERAL', value: 'a\nb\n' },
  { name: 'literal explicit indent', text: 'v: |2-\n     four\n  two\n', style: 'BLOCK_LITERAL', value: '   four\ntwo' },
  { name: 'literal explicit indent with chomp first', text: 'v: |-1\n   x\n  y\n', style: 'BLOCK_LITERAL', value: '  x\n y' },
  { name: 'literal leading empty lines', text: 'v: |\n\n  \n  x\n', style: 'BLOCK_LITERAL', value: '\n\nx\n' },
  { name: 'literal trailing more-indented blank line', text: 'v: |\n  x\n     \n\nw: 1\n', style: 'BLOCK_LITERAL', value: 'x\n   \n' },
  { name: 'literal empty', text: 'v: |\n\nw: 1\n', style: 'BLOCK_LITERAL', value: '' },
  { name: 'literal empty keep', text: 'v: |+\n\n\nw: 1\n', style: 'BLOCK_LITERAL', value: '\n\n' },
  { name: 'literal tabs', text: 'v: |\n  \tx\n  a\tb\n', style: 'BLOCK_LITERAL', value: '\tx\na\tb\n' },
  { name: 'literal non-ASCII', text: 'é😀: 1\nv: |\n  é 😀 ü\n  ok\n', style: 'BLOCK_LITERAL', value: 'é 😀 ü\nok\n' },
  { name: 'literal CRLF', text: 'v: |\r\n  a\r\n\r\n    b\r\n  # c\r\nw: 1\r\n', style: 'BLOCK_LITERAL', value: 'a\n\n  b\n# c\n' },
  { name: 'literal keep CRLF', text: 'v: |+\r\n  a\r\n\r\n', style: 'BLOCK_LITERAL', value: 'a\n\n' },
  { name: 'literal in sequence', text: 'v:\n  - |\n    x\n    y\n', style: 'BLOCK_LITERAL', value: 'x\ny\n' },
  { name: 'literal at root', key: '', text: '--- |\nroot\n  more\n', style: 'BLOCK_LITERAL', value: 'root\n  more\n' },
  {
    name: 'literal inner YAML in annotation',
    text: 'metadata:\n  annotations:\n    v: |\n      drainDuration: 30s\n      proxyMetadata:\n        A: "1"\n',
    style: 'BLOCK_LITERAL',
    value: 'drainDuration: 30s\nproxyMetadata:\n  A: "1"\n',
  },
  {
    name: 'folded',
    text: 'v: >\n  folded line\n  continues\n\n  new para\n    more indented\n    lines\n  back\n\n\n  end\n',
    style: 'BLOCK_FOLDED',
    value: 'folded line continues\nnew para\n  more indented\n  lines\nback\n\nend\n',
  },
  { name: 'folded blank before more-indented', text: 'v: >\n  a\n\n    b\n  c\n', style: 'BLOCK_FOLDED', value: 'a\n\n  b\nc\n' },
  { name: 'folded strip', text: 'v: >-\n  a\n  b\n\n', style: 'BLOCK_FOLDED', value: 'a b' },
  { name: 'folded keep', text: 'v: >+\n  a\n  b\n\n', style: 'BLOCK_FOLDED', value: 'a b\n\n' },
  { name: 'folded tab line', text: 'v: >\n  a\n  \tb\n  c\n', style: 'BLOCK_FOLDED', value: 'a\n\tb\nc\n' },
  { name: 'folded CRLF', text: 'v: >\r\n  a\r\n  b\r\n\r\n  c\r\n    d\r\n', style: 'BLOCK_FOLDED', value: 'a b\nc\n  d\n' },
  { name: 'folded explicit indent', text: 'v: >1\n   a\n  b\n  c\n', style: 'BLOCK_FOLDED', value: '  a\n b\n c\n' },
  { name: 'BOM before document', text: '\uFEFFv: "x"\n', style: 'QUOTE_DOUBLE', value: 'x' },
  { name: 'second document', text: 'a: 1\n---\nv: \'x y\'\n', style: 'QUOTE_SINGLE', value: 'x y' },
  { name: '1 MB single-quoted JSON', text: `v: '${big.replace(/'/g, "''")}'\n`, style: 'QUOTE_SINGLE', value: big },
  { name: '1 MB double-quoted JSON', text: `v: ${JSON.stringify(big)}\n`, style: 'QUOTE_DOUBLE', value: big },
];

test('the large cases are at least 1 MB', () => {
  assert.ok(big.length >= 1_000_000);
});

for (const c of cases) {
  test(`scalarSource: ${c.name}`, () => {
    const node = findScalar(c.text, c.key);
    const src = scalarSource(c.text, node);
    assert.equal(src.style, c.style);
    assert.equal(node.type, c.style);
    assert.equal(src.exact, true);
    assert.equal(src.value, libValue(node));
    if (c.value !== undefined) assert.equal(src.value, c.value);
    assert.equal(src.offsets.length, src.value.length + 1);
    assert.ok(node.range);
    assert.deepEqual(src.outer, { start: node.range[0], end: node.range[1] });
    assert.equal(src.eol, c.text.includes('\r\n') ? '\r\n' : '\n');
    if (c.style.startsWith('BLOCK')) assert.equal(typeof src.indent, 'number');

    let prev = src.outer.start;
    for (let i = 0; i <= src.value.length; ++i) {
      const off = src.offsets[i] as number;
      // Offsets never go backwards and stay inside the scalar.
      assert.ok(off >= prev && off <= src.outer.end, `offset ${i} out of order: ${off}`);
      prev = off;
      if (i === src.value.length) break;
      const inner = src.value[i] as string;
      const outer = c.text[off];
      if (outer === inner) continue;
      // A character that does not copy its outer character was produced by an escape
      // (it maps to the backslash) or by a line break (a fold or a kept break).
      const escape = outer === '\\' && c.style === 'QUOTE_DOUBLE';
      const fold = (outer === '\n' || outer === '\r' || off === c.text.length) && (inner === ' ' || inner === '\n');
      assert.ok(escape || fold, `char ${i} ${JSON.stringify(inner)} maps to ${JSON.stringify(outer)}`);
    }
    for (const [i, expected] of c.at ?? []) {
      assert.equal(c.text.slice(src.offsets[i], (src.offsets[i] as number) + expected.length), expected);
    }
  });
}

test('scalarSource: spot offsets in folded and escaped values', () => {
  const text = 'v: "a\\tb\n\n  c"\n';
  const src = scalarSource(text, findScalar(text));
  assert.equal(src.value, 'a\tb\nc');
  assert.equal(src.offsets[1], text.indexOf('\\t'));
  assert.equal(src.offsets[3], text.indexOf('\n\n') + 1);
  assert.equal(text[src.offsets[4] as number], 'c');
  assert.equal(src.offsets[5], text.lastIndexOf('"'));

  const crlf = 'v: |\r\n  a\r\n  b\r\n';
  const block = scalarSource(crlf, findScalar(crlf));
  assert.equal(crlf[block.offsets[1] as number], '\r');
  assert.equal(block.indent, 2);
});

test('scalarSource: falls back when the value cannot be rebuilt', () => {
  const text = 'v: |\n  a\n';
  const node = findScalar(text);
  // Without the CST token a block scalar cannot be mapped.
  delete (node as { srcToken?: unknown }).srcToken;
  const src = scalarSource(text, node);
  assert.equal(src.exact, false);
  assert.equal(src.value, 'a\n');
  assert.ok(src.offsets.every((o) => o === src.outer.start));

  // A value that does not match the text (as after a stale edit) also falls back.
  const stale = scalarSource('v: "zzz"\n', findScalar('v: "abc"\n'));
  assert.equal(stale.exact, false);
  assert.equal(stale.value, 'abc');
});

test('toOuterRange: maps, clamps and keeps empty ranges empty', () => {
  const text = `v: '{"a": "b"}'\n`;
  const src = scalarSource(text, findScalar(text));
  const inner = src.value.indexOf('"b"');
  const r = toOuterRange(src, inner, inner + 3);
  assert.equal(text.slice(r.start, r.end), '"b"');
  assert.deepEqual(toOuterRange(src, 2, 2), { start: src.offsets[2], end: src.offsets[2] });
  const all = toOuterRange(src, -5, 1e9);
  assert.equal(text.slice(all.start, all.end), '{"a": "b"}');
  assert.deepEqual(toOuterRange(src, 4, 1), { start: src.offsets[4], end: src.offsets[4] });
});

/** Applies an edit, re-parses, and checks the scalar's new value and the rest of the document. */
function checkEdit(text: string, a: number, b: number, newInner: string, expected: string, key = 'v'): string {
  const node = findScalar(text, key);
  const src = scalarSource(text, node);
  assert.equal(src.exact, true);
  const edit = innerEdit(text, src, a, b, newInner);
  assert.ok(edit, 'expected an edit');
  assert.ok(edit.start >= src.outer.start && edit.end <= src.outer.end);
  const next = text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
  const after = findScalar(next, key);
  assert.equal(after.type, node.type);
  assert.equal(libValue(after), expected);
  assert.equal(typeof after.value, typeof node.value);
  assert.equal(src.value.slice(0, a) + newInner + src.value.slice(b), expected);
  // The rest of the document reads the same.
  const before = parseAllDocuments(text).map((d) => d.toJS());
  const now = parseAllDocuments(next, { prettyErrors: false });
  assert.ok(now.every((d) => d.errors.length === 0));
  const js = now.map((d) => d.toJS());
  setKey(before, key, expected);
  setKey(js, key, expected);
  assert.deepEqual(js, before);
  return next;
}

/** Replaces the value of `key` anywhere in plain parsed data, so documents can be compared. */
function setKey(data: unknown, key: string, value: unknown): void {
  if (Array.isArray(data)) for (const d of data) setKey(d, key, value);
  else if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (k === key) (data as Record<string, unknown>)[k] = value;
      else setKey(v, key, value);
    }
  }
}

test('innerEdit: insert a new line at the start of a block literal', () => {
  const text = 'a: 1\nv: |\n  {"x": 1}\n  # kept\nw: 2\n';
  const next = checkEdit(text, 0, 0, 'first: line\n', 'first: line\n{"x": 1}\n# kept\n');
  assert.equal(next, 'a: 1\nv: |\n  first: line\n  {"x": 1}\n  # kept\nw: 2\n');
});

test('innerEdit: block literal with CRLF uses the file line ending', () => {
  const text = 'v: |\r\n    a: 1\r\n    b: 2\r\nw: 2\r\n';
  const next = checkEdit(text, 5, 5, 'c: 3\n', 'a: 1\nc: 3\nb: 2\n');
  assert.equal(next, 'v: |\r\n    a: 1\r\n    c: 3\r\n    b: 2\r\nw: 2\r\n');
});

test('innerEdit: append to a block literal and into an empty line', () => {
  checkEdit('v: |\n  a\nw: 1\n', 2, 2, 'b\n', 'a\nb\n');
  checkEdit('v: |-\n  a\nw: 1\n', 1, 1, '\nb', 'a\nb');
  checkEdit('v: |\n  a\n\n  c\n', 2, 2, 'b', 'a\nb\nc\n');
  checkEdit('v: |+\n  a\n\nw: 1\n', 3, 3, 'z\n', 'a\n\nz\n');
  assert.equal(checkEdit('v: |\nw: 1\n', 0, 0, 'a: 1\n', 'a: 1\n'), 'v: |\n  a: 1\nw: 1\n');
});

test('innerEdit: replace a JSON value inside a single-quoted scalar', () => {
  const text = `v: '{"mode": "a", "n": 1}'\nw: 1\n`;
  const src = scalarSource(text, findScalar(text));
  const at = src.value.indexOf('"a"');
  const next = checkEdit(text, at, at + 3, `"it's"`, `{"mode": "it's", "n": 1}`);
  assert.ok(next.includes(`"it''s"`));
});

test('innerEdit: replace a JSON value inside a double-quoted scalar', () => {
  const text = 'v: "{\\"mode\\": \\"a\\", \\"n\\": 1}"\nw: 1\n';
  const src = scalarSource(text, findScalar(text));
  const at = src.value.indexOf('"a"');
  checkEdit(text, at, at + 3, '"say \\"hi\\"\ttab\nline"', '{"mode": "say \\"hi\\"\ttab\nline", "n": 1}');
});

test('innerEdit: multi-line quoted and folded scalars are verified', () => {
  checkEdit("v: 'a b\n  c d'\n", 2, 3, 'X', 'a X c d');
  checkEdit('v: "a b\n  c d"\n', 6, 7, 'Y"', 'a b c Y"');
  checkEdit('v: >\n  a b\n  c d\n', 2, 3, 'XYZ', 'a XYZ c d\n');
});

test('innerEdit: plain scalar edits keep a plain string', () => {
  checkEdit('v: hello world\n', 6, 11, 'there', 'hello there');
  checkEdit('v: 8080\n', 0, 4, '9090', '9090');
});

test('innerEdit: refuses edits that cannot keep the value', () => {
  const plain = 'v: hello\n';
  const ps = scalarSource(plain, findScalar(plain));
  assert.equal(innerEdit(plain, ps, 0, 5, 'a\nb'), undefined, 'line break into a plain scalar');
  assert.equal(innerEdit(plain, ps, 0, 5, 'true'), undefined, 'string would turn into a bool');
  assert.equal(innerEdit(plain, ps, 5, 5, ': x'), undefined, 'would become a mapping');
  assert.equal(innerEdit(plain, ps, 5, 5, ' #x'), undefined, 'would start a comment');

  const single = "v: 'abc'\n";
  assert.equal(innerEdit(single, scalarSource(single, findScalar(single)), 1, 1, '\n'), undefined);

  const folded = 'v: >\n  a b\n  c\n';
  assert.equal(innerEdit(folded, scalarSource(folded, findScalar(folded)), 1, 1, '\nx'), undefined, 'folding would alter a break');

  const literal = 'v: |\n  a\n';
  assert.equal(
    innerEdit(literal, scalarSource(literal, findScalar(literal)), 0, 0, '  more-indented first line\n'),
    undefined,
    'would change the detected indentation',
  );

  const node = findScalar(literal);
  delete (node as { srcToken?: unknown }).srcToken;
  assert.equal(innerEdit(literal, scalarSource(literal, node), 0, 0, 'x'), undefined, 'inexact map');
});

test('scalarSource: never throws on odd input', () => {
  const text = 'v: "abc"\n';
  const node = findScalar(text);
  assert.doesNotThrow(() => scalarSource('', node));
  const empty = scalarSource(text, { value: 'x', range: undefined } as unknown as Scalar);
  assert.equal(empty.exact, false);
  assert.equal(empty.value, 'x');
  assert.ok(isMap(parseAllDocuments(text)[0]?.contents));
});
