/**
 * The fast path for plain manifest documents (server/src/engine/yaml/fast-parse.ts) against the
 * `yaml` package: whenever it takes a document, it must build what the package builds (node
 * classes, values, ranges, styles, formats, block scalars' source tokens, the document's range,
 * marker and errors), on every document of the corpus, the fixtures and the samples, and on
 * seeded random variations of them. And the analysis must give the same findings and notes on
 * every corpus file with the fast path on and off.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCollection, isDocument, isMap, isNode, isPair, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { analyzeFiles } from '../../server/src/engine/analyze';
import { PARSE_OPTIONS } from '../../server/src/engine/model/documents';
import { classifyDocument } from '../../server/src/engine/model/prescan';
import { FAST, fastParseDocument } from '../../server/src/engine/yaml/fast-parse';
import { blankOut, parseDocumentsAt, splitDocuments } from '../../server/src/engine/yaml/stream';
import { parseDocumentWithinLimit } from '../../server/src/engine/yaml/depth';
import { settings } from '../helpers';

const REPO = join(__dirname, '..', '..', '..');
const CORPUS = join(REPO, '..', 'shared', 'corpus');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.(ya?ml)$/.test(name)) out.push(p);
  }
  return out;
}

const FILES = [...yamlFiles(CORPUS), ...yamlFiles(join(REPO, 'test', 'fixtures')), ...yamlFiles(join(REPO, 'samples'))];

/** The package's parse of one document's text, with the fast path off. */
function reference(source: string, offset: number): Document.Parsed[] {
  FAST.enabled = false;
  try {
    return parseDocumentsAt(source, offset, PARSE_OPTIONS);
  } finally {
    FAST.enabled = true;
  }
}

/** The engine's parse (the fast path, duplicate keys added) when the fast path takes the text, else undefined. */
function fast(source: string, offset: number): Document.Parsed[] | undefined {
  if (!fastParseDocument(source, offset)) return undefined;
  return parseDocumentsAt(source, offset, PARSE_OPTIONS);
}

const errorsOf = (d: Document.Parsed): string => JSON.stringify(d.errors.map((e) => [e.code, e.pos, e.message]));

/** Throws, with a path, where the fast path's nodes differ from the package's. */
function same(a: unknown, b: unknown, path: string): void {
  if (a === b) return;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    if (Object.is(a, b)) return;
    throw new Error(`${path}: ${JSON.stringify(a)} (fast) vs ${JSON.stringify(b)} (yaml)`);
  }
  if (a.constructor !== b.constructor) throw new Error(`${path}: ${a.constructor.name} (fast) vs ${b.constructor.name} (yaml)`);
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) throw new Error(`${path}: ${a.length} items (fast) vs ${bb.length} (yaml)`);
    a.forEach((x, i) => same(x, bb[i], `${path}[${i}]`));
    return;
  }
  if (isDocument(a)) {
    const d = b as Document.Parsed;
    same(a.range, d.range, `${path}.range`);
    same((a as Document.Parsed).directives.docStart, d.directives.docStart, `${path}.docStart`);
    same(errorsOf(a as Document.Parsed), errorsOf(d), `${path}.errors`);
    same(d.warnings.length, 0, `${path}.warnings`);
    same(JSON.stringify({ ...a.options, _directives: 0 }), JSON.stringify({ ...d.options, _directives: 0 }), `${path}.options`);
    same(a.contents, d.contents, `${path}.contents`);
    // The package converts the nodes as its own (a collection's schema comes from its prototype here).
    same(JSON.stringify(a.toJS({ maxAliasCount: -1 })), JSON.stringify(d.toJS({ maxAliasCount: -1 })), `${path}.toJS()`);
    return;
  }
  if (isPair(a)) {
    const p = b as typeof a;
    same(a.key, p.key, `${path}.key`);
    same(a.value, p.value, `${path}.value`);
    return;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k of ['range', 'value', 'type', 'source', 'format', 'tag', 'anchor', 'minFractionDigits']) same(x[k] ?? null, y[k] ?? null, `${path}.${k}`);
  // The fast path writes `flow: false` on block collections (one hidden class), the package nothing.
  same(x.flow === true, y.flow === true, `${path}.flow`);
  if (isScalar(a) && (a.type === 'BLOCK_LITERAL' || a.type === 'BLOCK_FOLDED')) {
    const tok = (t: unknown): string => {
      const v = t as { type: string; offset: number; indent: number; props: { type: string; offset: number; source: string }[]; source: string };
      return JSON.stringify([v.type, v.offset, v.indent, v.props.map((p) => [p.type, p.offset, p.source]), v.source]);
    };
    same(tok(x.srcToken), tok(y.srcToken), `${path}.srcToken`);
  }
  if (isCollection(a)) same(a.items, (b as typeof a).items, `${path}.items`);
}

/** The options the annotation's and the mesh config's inner YAML is parsed with (`parseDocumentWithinLimit`). */
const INNER = { prettyErrors: false, uniqueKeys: false, keepSourceTokens: true } as const;

/** Compares where the fast path takes `source` (as a file's document at `offset`, and as inner YAML); returns whether it did. */
function agrees(source: string, offset: number, label: string): boolean {
  const ours = fast(source, offset);
  if (!ours) return false;
  const theirs = reference(source, offset);
  assert.equal(ours.length, theirs.length, `${label}: documents`);
  same(ours[0], theirs[0], `${label}: doc`);
  const inner = parseDocumentWithinLimit(source, INNER);
  FAST.enabled = false;
  try {
    same(inner, parseDocumentWithinLimit(source, INNER), `${label}: inner doc`);
  } finally {
    FAST.enabled = true;
  }
  return true;
}

describe('fast parse', () => {
  test('builds what the yaml package builds, on every document of the corpus, fixtures and samples', () => {
    assert.ok(FILES.length > 1000, `corpus at ${CORPUS}`);
    let docs = 0;
    let taken = 0;
    for (const f of FILES) {
      const text = readFileSync(f, 'utf8');
      for (const s of splitDocuments(text) ?? []) {
        const src = text.slice(s.start, s.end);
        if (reference(src, s.start).length === 0) continue;
        docs++;
        if (agrees(src, s.start, `${f} @${s.start}`)) taken++;
      }
    }
    // Most real documents take the fast path (2,167 of 2,725 when written): if it gave up on everything, nothing above would be tested.
    assert.ok(taken > docs * 0.7, `fast path took ${taken} of ${docs} documents`);
  });

  test('reads blanked-out entries (holes) as the package reads them written out as comments, on every elided corpus document', () => {
    let elided = 0;
    let taken = 0;
    for (const f of FILES) {
      const text = readFileSync(f, 'utf8');
      for (const s of splitDocuments(text) ?? []) {
        const d = classifyDocument(text, s.start, s.end);
        if (d.kind !== 'elide') continue;
        elided++;
        const src = text.slice(s.start, s.end);
        if (!fastParseDocument(src, s.start, d.ranges)) continue;
        taken++;
        const ours = parseDocumentsAt(src, s.start, PARSE_OPTIONS, d.ranges);
        const theirs = reference(blankOut(src, d.ranges), s.start);
        assert.equal(ours.length, theirs.length);
        same(ours[0], theirs[0], `${f} @${s.start}`);
      }
    }
    // 47 of 49 when written.
    assert.ok(elided > 30 && taken > elided * 0.8, `fast path took ${taken} of ${elided} elided documents`);
    // Holes placed where the prescan puts none: inside a block scalar, after a plain scalar, on blank lines (review).
    const cases: [string, [number, number][]][] = [
      ['a: |\n  x\n  y: 1\nb: one\n  c: 2\nd: 1\n', [[9, 16]]],
      ['a: |\n  x\n  y: 1\nb: one\n  c: 2\nd: 1\n', [[23, 30]]],
      ['a: b\n\n  c\n', [[5, 10]]],
      ['a: b\n   \n  c\nd: 1\n', [[5, 13]]],
      ['a: b\n\nc: 1\n', [[5, 6]]],
    ];
    for (const [text, holes] of cases) {
      assert.equal(blankOut(text, holes).length, text.length, `blankOut keeps the length: ${JSON.stringify(text)}`);
      const ours = fastParseDocument(text, 0, holes);
      if (ours) same(ours, reference(blankOut(text, holes), 0)[0], `holes ${JSON.stringify(holes)} in ${JSON.stringify(text)}`);
    }
  });

  test('builds what the yaml package builds on seeded random variations of real documents', () => {
    const INSERTS = [' ', '\n', '# c', ':', '- ', '"', "'", '{', '}', '[', ']', ',', '|', '>', '-', '  ', '\n  # x\n', 'x', '#', '\n\n', '...', '---', '&a ', '*a', '!t ', '? ', '|-', '>-', '|+', '>2', ' # c\n', ': ', '\\', '\\n', "''", '1', '0x1F', '1.50', '1e3', '.inf', 'true', 'True', '~', 'null', '\n- ', '\n  ', '\n    ', ' {}', ' []', '{a: 1}', '[a, "b"]', 'key: v\n', '\t', '\r', '+', '<<: ', '   \n', '"\\u00e9"', '"\\x41"', '\n#', '\n  - a\n', '\n      more', ':\n    ', 'v: \n    long\n', 'v:\n', ': \n', '--- ', '... ', '---\n', '# c\n---\n', '  '];
    const docs: string[] = [];
    for (const f of FILES.filter((_, i) => i % 7 === 0)) for (const d of readFileSync(f, 'utf8').split(/^---$/m)) if (d.trim() && d.length < 4000) docs.push(d);
    let seed = 20261128;
    // In 32-bit integer arithmetic: a product of plain numbers beyond 2^53 loses bits, and such a generator falls into a short cycle (review).
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor((seed / 4294967296) * n);
    };
    let taken = 0;
    const cases = 12000;
    for (let n = 0; n < cases; n++) {
      let t = docs[rnd(docs.length)]!;
      for (let m = 0, k = 1 + rnd(3); m < k; m++) {
        // One edit in eight at the very start, where markers and the root begin.
        const i = rnd(8) === 0 ? 0 : rnd(t.length + 1);
        const r = rnd(100);
        if (r < 60) t = t.slice(0, i) + INSERTS[rnd(INSERTS.length)]! + t.slice(i);
        else if (r < 85) t = t.slice(0, i) + t.slice(i + 1 + rnd(3));
        else {
          // Indent or outdent a line by one.
          const ls = t.lastIndexOf('\n', i - 1) + 1;
          t = rnd(2) === 0 ? t.slice(0, ls) + ' ' + t.slice(ls) : t.slice(0, ls) + t.slice(ls + (t[ls] === ' ' ? 1 : 0));
        }
      }
      if (agrees(t, rnd(100), `case ${n}: ${JSON.stringify(t).slice(0, 400)}`)) taken++;
    }
    assert.ok(taken > cases * 0.2, `fast path took ${taken} of ${cases} variations`);
  });

  test("the package identifies, clones and converts the fast path's nodes as its own", () => {
    const doc = fastParseDocument('a: x\nb:\n- 1\n- {c: "d"}\n', 0)!;
    const map = doc.contents as unknown as YAMLMap;
    assert.ok(isMap(map) && isNode(map) && map instanceof YAMLMap);
    assert.equal(isSeq(doc.contents), false);
    const pair = map.items[1]!;
    assert.ok(isPair(pair) && pair instanceof Pair);
    assert.equal(isNode(map.items[1]), false);
    const seq = pair.value as YAMLSeq;
    assert.ok(isSeq(seq) && seq instanceof YAMLSeq && !seq.flow);
    const key = map.items[0]!.key as Scalar;
    assert.ok(isScalar(key) && key instanceof Scalar && key.value === 'a');
    const copy = seq.clone();
    assert.ok(isSeq(copy) && copy.items.length === 2 && copy !== seq);
    assert.deepEqual(doc.toJS(), { a: 'x', b: [1, { c: 'd' }] });
    assert.equal(map.get('a'), 'x');
    assert.ok(map.has('b'));
  });

  const TAKEN: Record<string, string> = {
    'comments after a nested mapping, up to the next key': 'a:\n  b: 1\n  # x\n\n# y\nc: 2\n',
    'comments too shallow for the inner mapping': 'a:\n  b:\n    c: 1\n  # x\n# y\nd: 1\n',
    'a compact sequence at a nested mapping, a comment, the next key': 'x:\n  a:\n  - 1\n  # c\n  b: 1\n',
    'a compact sequence at the root mapping': 'a:\n- 1\n# x\nb: 2\n',
    'mappings in sequence items': '- a: 1\n  b:\n  - 1\n  # c\n  d: 1\n-   q: 3\n',
    'flow collections of scalars': 'a: ["sh", "-c",  sleep 5 ]  # c\nr: { cpu: 150m , memory: "1Gi" }\ne: []\nf: {}\ng: [a, b,]\n',
    'nested flow collections': 'a: {b: {c: 1} , d: [1, [2]], e: {}}\nv: {secretKeyRef: {name: warm, key: token}}\n',
    'literal and folded block scalars': 'a: |-\n\n  x\n\n  y\n  \nb: >\n  folded\n  line\n\n  more\n# trailing\nc: |\n    k\n      deeper\n',
    'quoted keys and escapes': `"a b": 'it''s'\n'c': "tab\\t \\"q\\" \\u00e9 \\/"\n`,
    'core schema scalars': 'a: [1, -2, 0o17, 0x1F, 1.50, 1e3, .inf, -.Inf, .nan, true, False, ~, null, NULL, 1_000, 0b1, yes]\n',
    'a document marker and comments before it': '# top\n---  # c\n\na: 1\n',
    'an indented root after comments': '# h\n\n  a: 1\n  b:\n  - c\n  # c\n  d: 1\n',
    'an indented root keeps a trailing comment': '  a:\n    b: 1\n  # c\n',
    'duplicate keys (the error is added as for the package)': 'a: 1\nb: 2\na: 3\nm: {x: 1, "x": 2}\nn: {1: a, "1": b}\n',
    'a repeat in a mapping too large to compare key by key': Array.from({ length: 20 }, (_, i) => `k${i % 19}: ${i}\n`).join(''),
    'multi-line plain scalars': 'a: one\n  two  \n\n  three   \nb: 1\nc:\n- one\n  two\n\n- x # c\n',
    'scalars on the line below their key or dash (Helm)': 'x:\n  v: \n    kubernetes://a/b\n     more\n  w:\n    "q"\n  l:\n  -\n    foo bar\n',
    'empty values': 'a:\nb:   \n\nc: 1\n',
    'a flow mapping as the whole document (JSON annotation values)': '{"terminationDrainDuration": "15s", "holdApplicationUntilProxyStarts": true} \n',
  };
  for (const [name, text] of Object.entries(TAKEN)) {
    test(`takes and matches: ${name}`, () => {
      assert.ok(agrees(text, 17, name), 'the fast path gave up');
    });
  }

  const GIVES_UP: Record<string, string> = {
    anchors: 'a: &x 1\nb: *x\n',
    tags: 'a: !!str 1\n',
    'multi-line quoted scalars': 'a: "one\n  two"\n',
    'an empty value at the end': 'a: 1\nb:\n\n',
    'an empty value before a comment': 'a:\n# c\nb: 1\n',
    'an empty value with a comment': 'a: # c\nb: 1\n',
    'a multi-line plain scalar with a comment between its lines': 'a: one\n  # c\n  two\n',
    'a comment deeper than its key after a value': 'a: 1\n    # c\nb: 2\n',
    'explicit keys': '? a\n: 1\n',
    'keep chomping': 'a: |+\n  x\n\nb: 1\n',
    'flow collections over lines': 'a: [1,\n  2]\n',
    'merge keys': 'a: 1\n<<: {b: 2}\n',
    tabs: 'a:\n\tb: 1\n',
    'carriage returns': 'a: 1\r\nb: 2\r\n',
    'a second document': 'a: 1\n---\nb: 2\n',
    'errors: a mapping in a compact value': 'a: b: c\n',
    'errors: bad indentation': 'a:\n    b: 1\n  c: 2\n',
    'scalar documents': 'just text\n',
    'a flow document with lines after it': '{"a": 1}\n\n\n',
    'a comment between a key and its scalar below (review)': 'k0:\n#c\n x\nk1: v\n',
    'a comment between a dash and its scalar below (review)': '-\n#c\n x\n- v\n',
    'a blank line and a comment between a dash and its scalar below (review)': '-\n\n# c\n  b\n- c\n',
    'a quoted key whose colon is over 1024 characters away (review)': `"${'k'.repeat(1023)}": 1\n`,
    'spaces before a colon over 1024 characters away (review)': `a${' '.repeat(1030)}: 1\n`,
    'content on the marker line': '--- a: 1\n',
    'a document end marker first': '... a: 1\n',
    'a byte order mark inside': 'a: x\ufeffy\n',
  };
  for (const [name, text] of Object.entries(GIVES_UP)) {
    test(`gives up: ${name}`, () => {
      assert.equal(fastParseDocument(text, 0), undefined);
    });
  }

  test('the analysis gives the same findings and notes with the fast path on and off, on every corpus file', () => {
    const inputs = FILES.map((f) => ({ uri: f, text: readFileSync(f, 'utf8'), settings: settings() }));
    const run = (): string => JSON.stringify(analyzeFiles(inputs).map((r) => ({ uri: r.uri, findings: r.findings, notes: r.notes })));
    const on = run();
    FAST.enabled = false;
    let off: string;
    try {
      off = run();
    } finally {
      FAST.enabled = true;
    }
    assert.equal(on, off);
  });
});
