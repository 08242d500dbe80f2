/**
 * A fast path for the documents Kubernetes manifests are made of: block mappings and
 * sequences, plain scalars (also continued on deeper lines), one-line quoted scalars, literal
 * and folded block scalars, one-line flow collections (nested too), empty values and comments.
 * It builds the same `yaml` nodes (classes, values, ranges, styles, formats, block scalars'
 * source tokens, the document's range and marker) that the package's lexer, parser and
 * composer build, in one pass over the lines, without their tokens: about a sixth of the cost.
 *
 * Anything else gives up (`undefined`) and the caller parses the document with `yaml`: anchors,
 * aliases, tags, directives, multi-line quoted scalars, flow collections over lines, explicit
 * keys, keep chomping and indentation indicators, tabs, carriage returns and byte order marks,
 * `...` lines, merge keys, deep nesting, comments where the package's range rules were not
 * pinned down, and anything the package would report as an error. Giving up is always correct;
 * building something else than the package is not, so `test/unit/fast-parse.test.ts` compares
 * both, node by node, on every document of the corpus and on generated variations.
 */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

/** The fast path's switch: tests turn it off to compare both paths. */
export const FAST = { enabled: true };

/**
 * Whether a parse with `options` may take the fast path: the engine's options (no errors
 * prettified, source tokens kept), nothing else. Duplicate keys are the caller's: the fast path
 * builds what the composer builds with `uniqueKeys: false`.
 */
export function fastOptions(options: object): boolean {
  if (!FAST.enabled) return false;
  const o = options as Record<string, unknown>;
  for (const k in o) if (k !== 'prettyErrors' && k !== 'keepSourceTokens' && k !== 'uniqueKeys') return false;
  return o.prettyErrors === false && o.keepSourceTokens === true;
}

/**
 * What the fast path knows of a document it made: it has no merge key (it gives up on them),
 * and whether a mapping may repeat a key (`repeats`: false when every mapping's keys were
 * compared and differ). Callers skip the walks that look for them (`unique-keys.ts`).
 */
const MADE = new WeakMap<Document, { repeats: boolean }>();

export function fastFacts(doc: Document): { repeats: boolean } | undefined {
  return MADE.get(doc);
}

/** Keys compared one by one up to this many per mapping; a larger mapping is left to `addDuplicateKeyErrors`. */
const KEYS_COMPARED = 16;

/** Thrown (not an Error: nothing to capture) when the document leaves the fast path. */
const GIVE_UP: unique symbol = Symbol('give up');

/** Deeper than this the fast path gives up (the package's path enforces `MAX_NESTING`). */
const MAX_DEPTH = 100;

/** Options as `documents.ts`'s `PARSE_OPTIONS` reach the composer (`uniqueKeys` checked here). */
const DOC_OPTIONS = { prettyErrors: false, keepSourceTokens: true, uniqueKeys: false } as const;

interface ScalarTagLike {
  default?: boolean | 'key';
  test?: RegExp;
  collection?: string;
  format?: string;
  tag: string;
  resolve: (value: string, onError: (msg: string) => void, options: object) => unknown;
}

/** A document made once for its schema: the core schema's tags and the schema collections carry. */
const SCHEMA_DOC = new Document(undefined, DOC_OPTIONS);

/** The core schema's scalar tags that resolve plain scalars by a test, in the package's order. */
const TAGS = (SCHEMA_DOC.schema.tags as unknown as ScalarTagLike[]).filter((t) => t.default === true && t.test !== undefined && !t.collection);

/**
 * Node prototypes. The package's node constructors mark each node with its type through
 * `Object.defineProperty`, which costs ten times the rest of making it (200 ns for a scalar,
 * 550 for a pair, on this machine). The package tells nodes apart by that property
 * (`isScalar`, `isMap`…: `node[Symbol.for('yaml.node.type')]`, a registered symbol) and by
 * their class: here each prototype carries the mark once, and nodes made from it are
 * instances of the package's classes with the same own fields. A collection's `schema` (the
 * package sets its own, not enumerable) comes from the prototype too: the core schema, as
 * every document read here has. `test/unit/fast-parse.test.ts` checks that the package
 * identifies, clones and converts these nodes as its own.
 */
const NODE_TYPE = Symbol.for('yaml.node.type');
function prototypeOf<T extends object>(cls: { prototype: T }, type: string, schema: boolean): T {
  const proto = Object.create(cls.prototype) as T;
  Object.defineProperty(proto, NODE_TYPE, { value: Symbol.for(type) });
  if (schema) Object.defineProperty(proto, 'schema', { value: SCHEMA_DOC.schema, configurable: true, enumerable: false, writable: true });
  return proto;
}
const SCALAR_PROTO = prototypeOf(Scalar, 'yaml.scalar', false);
const MAP_PROTO = prototypeOf(YAMLMap, 'yaml.map', true);
const SEQ_PROTO = prototypeOf(YAMLSeq, 'yaml.seq', true);
const PAIR_PROTO = prototypeOf(Pair, 'yaml.pair', false);
const DOC_PROTO = prototypeOf(Document, 'yaml.document', false);

/** A document as the composer makes one, sharing the core schema (the constructor makes a schema per document). */
function newDocument(): Document.Parsed {
  const d = Object.create(DOC_PROTO) as Document.Parsed;
  d.commentBefore = null;
  d.comment = null;
  d.errors = [];
  d.warnings = [];
  d.options = { ...SCHEMA_DOC.options };
  d.directives = SCHEMA_DOC.directives!.clone();
  d.schema = SCHEMA_DOC.schema;
  d.contents = null;
  return d;
}

/*
 * Every node of a kind is made with the same fields in the same order (those the composer
 * sets, `undefined` where it sets none), so that it has one hidden class: code that reads
 * nodes stays monomorphic and is not deoptimised by the first unusual node of a large file.
 */

function newScalar(value: unknown, source: string, type: Scalar.Type): Scalar {
  const n = Object.create(SCALAR_PROTO) as Scalar;
  n.value = value;
  n.range = undefined;
  n.source = source;
  n.type = type;
  n.format = undefined;
  n.srcToken = undefined;
  return n;
}

function newCollection<T extends YAMLMap | YAMLSeq>(proto: T, flow: boolean): T {
  const n = Object.create(proto) as T;
  n.items = [];
  n.range = undefined;
  n.flow = flow;
  return n;
}

const newMap = (flow: boolean): YAMLMap => newCollection(MAP_PROTO, flow);
const newSeq = (flow: boolean): YAMLSeq => newCollection(SEQ_PROTO, flow);

function newPair(key: Node, value: Node): Pair {
  const n = Object.create(PAIR_PROTO) as Pair;
  n.key = key;
  n.value = value;
  return n;
}

/** A block scalar's source token, as much of it as `scalar-source.ts` reads (the package's CST shape). */
interface BlockScalarToken {
  type: 'block-scalar';
  offset: number;
  indent: number;
  props: { type: string; offset: number; indent: number; source: string }[];
  source: string;
}

/** Stretches of a text, `[start, end)`, each from a line start to after a line break (or the end). */
export type Holes = readonly (readonly [number, number])[];

/**
 * The document of `source` (which stands at `offset` in its file), built without the `yaml`
 * package's parser, or undefined when the text leaves the fast path. `source` holds at most one
 * document (as `splitDocuments` cuts a file). `holes` (sorted, apart) read as blanked out: each
 * as one comment line at its first line's indentation, as `blankOut` writes it.
 */
export function fastParseDocument(source: string, offset: number, holes: Holes = NO_HOLES): Document.Parsed | undefined {
  // One search each for what the fast path never handles anywhere in a document.
  if (source.length === 0 || outsideHoles(source, '\t', holes) || outsideHoles(source, '\r', holes) || outsideHoles(source, '\ufeff', holes)) return undefined;
  // A hole whose first line is blank has no room for its comment's `#` where the text's spaces are: left to the package.
  for (const [a] of holes) {
    let j = a;
    while (source.charCodeAt(j) === 32) j++;
    if (j >= source.length || source.charCodeAt(j) === 10) return undefined;
  }
  try {
    return new FastParser(source, offset, holes).document();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

const NO_HOLES: Holes = [];

/** Whether `ch` occurs in `source` outside the holes. */
function outsideHoles(source: string, ch: string, holes: Holes): boolean {
  let h = 0;
  for (let i = source.indexOf(ch); i >= 0; ) {
    while (h < holes.length && holes[h]![1] <= i) h++;
    const hole = holes[h];
    if (!hole || i < hole[0]) return true;
    i = source.indexOf(ch, hole[1]);
  }
  return false;
}

function giveUp(): never {
  throw GIVE_UP;
}

class FastParser {
  private readonly s: string;
  private readonly base: number;
  private readonly doc: Document.Parsed;
  private readonly tags: ScalarTagLike[];
  private readonly holes: Holes;
  /** The first hole that does not end before the line the parser stands at. */
  private hole = 0;
  /** Whether the parser stands at a hole (a comment line, as blanked out). */
  private inHole = false;
  /** Start of the line the parser stands at. */
  private ls = 0;
  /** That line's indentation, content start and end (its `\n`, or the text's end). */
  private ind = 0;
  private cs = 0;
  private le = 0;
  /** Whether the last `skipToContent` passed any line (blank, comment or hole). */
  private skipped = false;
  /** The indentation of the first comment line skipped since the last content (-1: none), and the deepest. */
  private cmtIndent = -1;
  private cmtMax = -1;
  private depth = 0;
  /** A mapping may repeat a key (a repeat found, or a mapping too large to compare). */
  private repeats = false;

  constructor(source: string, offset: number, holes: Holes) {
    this.s = source;
    this.base = offset;
    this.holes = holes;
    this.doc = newDocument();
    this.tags = TAGS;
  }

  document(): Document.Parsed {
    const s = this.s;
    this.at(0);
    this.skipToContent(true);
    let start = -1;
    if (this.ls < s.length && this.ind === 0 && (s.startsWith('---', this.ls) || s.startsWith('...', this.ls)) && (this.ls + 3 >= this.le || s.charCodeAt(this.ls + 3) === 32)) {
      // A marker line: `---` alone (or before a comment) starts the document; content after it, or `...`, is left to the package.
      if (s.charCodeAt(this.ls) !== 45 || !this.isBlankOrComment(this.ls + 3, true)) giveUp();
      start = this.ls;
      this.doc.directives.docStart = true;
      this.at(this.next());
      this.skipToContent();
    }
    if (this.ls >= s.length) giveUp();
    // Without a marker the document starts at the line of its content (its indentation included).
    if (start < 0) start = this.ls;
    const c = s.charCodeAt(this.cs);
    let root: Node;
    if (c === 123 || c === 91) {
      // A one-line flow collection (JSON annotation values): the package ends the document
      // differently when anything follows its line, so nothing may.
      root = this.flow(this.cs);
      const r = root.range!;
      let j = r[1] - this.base;
      while (s.charCodeAt(j) === 32) j++;
      if (!(j === s.length || (j === s.length - 1 && s.charCodeAt(j) === 10))) giveUp();
      r[2] = this.base + s.length;
      this.at(s.length);
    } else root = this.blockNode(false, -1);
    // Only comments and blank lines may follow the root (the caller's slice ends at the next `---`).
    if (this.ls < s.length) giveUp();
    const doc = this.doc;
    doc.contents = root as never;
    const r = root.range!;
    doc.range = [this.base + start, r[2], this.base + s.length];
    MADE.set(doc, { repeats: this.repeats });
    return doc;
  }

  // --- lines ---

  /** Stand at the line starting at `i`. */
  private at(i: number): void {
    const s = this.s;
    this.ls = i;
    let j = i;
    while (s.charCodeAt(j) === 32) j++;
    this.ind = j - i;
    this.cs = j;
    if (this.isHole(i)) {
      // One comment line up to the hole's last line break.
      const end = this.holes[this.hole]![1];
      this.inHole = true;
      this.le = s.charCodeAt(end - 1) === 10 ? end - 1 : end;
      return;
    }
    this.inHole = false;
    const nl = s.indexOf('\n', j);
    this.le = nl < 0 ? s.length : nl;
  }

  /** Whether a hole starts at the line start `i`. */
  private isHole(i: number): boolean {
    const holes = this.holes;
    while (this.hole < holes.length && holes[this.hole]![1] <= i) this.hole++;
    return this.hole < holes.length && holes[this.hole]![0] === i;
  }

  /** The start of the line after the current one. */
  private next(): number {
    return this.le < this.s.length ? this.le + 1 : this.s.length;
  }

  /** Whether `[i, le)` is blank or a comment; `needSpace`: a comment must follow a space (or start the range). */
  private isBlankOrComment(i: number, needSpace: boolean): boolean {
    const s = this.s;
    let j = i;
    while (s.charCodeAt(j) === 32) j++;
    if (j >= this.le) return true;
    return s.charCodeAt(j) === 35 && (!needSpace || j > i || j === this.ls);
  }

  /**
   * Move to the next line with content, past blank and comment lines, noting the comments
   * (`cmtIndent`). A document marker line gives up: the caller's text holds one document.
   */
  private skipToContent(markerAllowed = false): void {
    const s = this.s;
    this.cmtIndent = -1;
    this.cmtMax = -1;
    this.skipped = false;
    while (this.ls < s.length) {
      const c = s.charCodeAt(this.cs);
      if (this.cs >= this.le && !this.inHole) {
        // A blank line.
      } else if (c === 35 /* # */ || this.inHole) {
        if (this.cmtIndent < 0) this.cmtIndent = this.ind;
        if (this.ind > this.cmtMax) this.cmtMax = this.ind;
      } else {
        if (!markerAllowed && this.ind === 0 && (c === 45 || c === 46) && (s.startsWith('---', this.ls) || s.startsWith('...', this.ls))) {
          const d = s.charCodeAt(this.ls + 3);
          if (this.ls + 3 >= this.le || d === 32) giveUp();
        }
        if (c === 37 /* % */ && this.ind === 0) giveUp();
        return;
      }
      this.skipped = true;
      this.at(this.next());
    }
  }

  // --- nodes ---

  /**
   * A node starting at the current line's content (the root, or the value of a key or `-`
   * that ends its line): a sequence, a mapping, or (not the root) a scalar. `compact`: a
   * sequence at its mapping's own indentation; `parent`: the enclosing collection's
   * indentation (-1: none).
   */
  private blockNode(compact: boolean, parent: number): Node {
    if (++this.depth > MAX_DEPTH) giveUp();
    const n = this.ind;
    let node: Node;
    if (this.isSeqItem(this.cs)) node = this.seq(n, compact);
    else if (this.isKeyLine(this.cs)) node = this.map(n, this.cs);
    else {
      // A scalar on the line below its key or `-` (Helm writes long values so). After a comment
      // or a blank line the package's lexer may lower the indentation the scalar needs and take
      // shallower lines into it (review: `-\n\n# c\n  b\n- c` is one item "b - c"): not copied.
      if (compact || parent < 0 || this.skipped) giveUp();
      node = this.inline(this.cs, parent);
      this.skipToContent();
      if (this.cmtMax > parent) giveUp();
    }
    this.depth--;
    return node;
  }

  private isSeqItem(i: number): boolean {
    if (this.s.charCodeAt(i) !== 45 /* - */) return false;
    const c = this.s.charCodeAt(i + 1);
    return i + 1 >= this.le || c === 32;
  }

  /**
   * A block mapping at indentation `n` whose first key starts at `first` on the current line
   * (after a `- ` for a mapping in a sequence item). Returns at the first line after it.
   */
  private map(n: number, first: number): YAMLMap {
    const map = newMap(false);
    let k = first;
    let end = 0;
    for (;;) {
      const key = this.key(k);
      // A merge key: the package's path notes it (documents.ts).
      if (key.type === 'PLAIN' && key.source === '<<') giveUp();
      this.compareKey(map, key);
      // After the key: `:`, spaces, then the value on this line or below.
      let v = this.keyEnd + 1;
      while (this.s.charCodeAt(v) === 32) v++;
      let value: Node;
      if (v >= this.le || (this.s.charCodeAt(v) === 35 && v > this.keyEnd + 1)) {
        const commented = v < this.le;
        this.at(this.next());
        this.skipToContent();
        if (this.ls < this.s.length && this.ind > n) value = this.blockNode(false, n);
        else if (this.ls < this.s.length && this.ind === n && this.isSeqItem(this.cs)) value = this.blockNode(true, n);
        else if (!commented && this.cmtIndent < 0 && this.ls < this.s.length) {
          // An empty value (null), at the end of its line, with content after it. With comments
          // around, or at the end of the document, its range takes what follows: not copied.
          value = this.plain('');
          value.range = [this.base + v, this.base + v, this.base + v];
        } else giveUp();
      } else {
        if (v === this.keyEnd + 1) giveUp(); // `key:value` is a plain scalar, not a pair
        value = this.inline(v, n);
        this.skipToContent();
        // A comment line indented deeper than the key joins the value's range: not copied.
        if (this.cmtMax > n) giveUp();
      }
      map.items.push(newPair(key, value));
      end = value.range![2];
      // The next line with content: another key, the end of the mapping, or not ours.
      if (this.ls >= this.s.length || this.ind < n) break;
      if (this.ind > n || this.isSeqItem(this.cs)) giveUp();
      k = this.cs;
    }
    map.range = [this.base + first, end, this.trailingEnd(n, end)];
    return map;
  }

  /**
   * A block sequence at indentation `n` (the current line is its first item). Returns at the
   * first line after it. `compact`: at its mapping's own indentation (`key:` then `- item`).
   */
  private seq(n: number, compact: boolean): YAMLSeq {
    const seq = newSeq(false);
    const start = this.base + this.cs;
    let end = 0;
    for (;;) {
      let v = this.cs + 1;
      while (this.s.charCodeAt(v) === 32) v++;
      let item: Node;
      if (v >= this.le || this.s.charCodeAt(v) === 35) {
        this.at(this.next());
        this.skipToContent();
        if (this.ls < this.s.length && this.ind > n) item = this.blockNode(false, n);
        else giveUp(); // An empty item.
      } else if (this.isSeqItem(v)) {
        giveUp(); // `- - x`
      } else if (this.isKeyLine(v)) {
        if (++this.depth > MAX_DEPTH) giveUp();
        item = this.map(v - this.ls, v);
        this.depth--;
      } else {
        item = this.inline(v, n);
        this.skipToContent();
        if (this.cmtMax > n) giveUp();
      }
      seq.items.push(item);
      end = item.range![2];
      if (this.ls >= this.s.length || this.ind < n) break;
      if (this.ind > n) giveUp();
      if (!this.isSeqItem(this.cs)) {
        if (compact) break;
        giveUp();
      }
    }
    seq.range = [start, end, this.trailingEnd(n, end)];
    return seq;
  }

  /** Notes whether `key` repeats a key of `map` (values compared as `addDuplicateKeyErrors` compares them). */
  private compareKey(map: YAMLMap, key: Scalar): void {
    if (this.repeats) return;
    const items = map.items;
    if (items.length >= KEYS_COMPARED) {
      this.repeats = true;
      return;
    }
    const v = key.value;
    for (let i = 0; i < items.length; i++) {
      if ((items[i]!.key as Scalar).value === v) {
        this.repeats = true;
        return;
      }
    }
  }

  /**
   * Where a block collection at indentation `n` ends: at the next content (after the comment
   * lines that follow its last item, blank lines and the next line's indentation) when the first of them is indented at least as deep as the collection (the
   * package's parser keeps them in it; when a shallower one comes first, it gives up), else
   * where its last item ends. At indentation 0 (the
   * root, a sequence at the root mapping's indentation) none are kept: they go to the document
   * or the next key. Comments taken are not offered to the enclosing collections.
   */
  private trailingEnd(n: number, end: number): number {
    if (n === 0 || this.cmtMax < n) return end;
    // A shallower comment, then one deep enough: the package's parser decides by rules not copied.
    if (this.cmtIndent < n) giveUp();
    this.cmtIndent = -1;
    this.cmtMax = -1;
    // Up to the next content, past blank lines and that line's indentation.
    return this.base + (this.ls < this.s.length ? this.cs : this.s.length);
  }

  /** Whether a mapping key (plain or quoted, then `:` and a space or the line's end) starts at `i`. */
  private isKeyLine(i: number): boolean {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === 34 || c === 39) {
      const close = c === 39 ? this.singleEnd(i) : this.doubleEnd(i);
      if (close < 0) return false;
      let j = close;
      while (s.charCodeAt(j) === 32) j++;
      return s.charCodeAt(j) === 58 && (j + 1 >= this.le || s.charCodeAt(j + 1) === 32);
    }
    return this.plainKeyColon(i) >= 0;
  }

  /** Set by `key`: the offset of the key's `:` in the text. */
  private keyEnd = 0;

  /** The mapping key at `i` on the current line, up to its `:` (`keyEnd`). */
  private key(i: number): Scalar {
    const s = this.s;
    const c = s.charCodeAt(i);
    let node: Scalar;
    if (c === 34 || c === 39) {
      node = this.quoted(i, c === 39);
      let j = node.range![1] - this.base;
      while (s.charCodeAt(j) === 32) j++;
      if (s.charCodeAt(j) !== 58 || !(j + 1 >= this.le || s.charCodeAt(j + 1) === 32)) giveUp();
      // The package's limit: the `:` at most 1024 characters after the key's start.
      if (j - i > 1000) giveUp();
      node.range = [node.range![0], node.range![1], node.range![1]];
      this.keyEnd = j;
      return node;
    }
    const colon = this.plainKeyColon(i);
    if (colon < 0) giveUp();
    let e = colon;
    while (s.charCodeAt(e - 1) === 32) e--;
    if (colon - i > 1000) giveUp(); // the package's limit: the `:` at most 1024 characters after the key's start
    node = this.plain(s.slice(i, e));
    node.range = [this.base + i, this.base + e, this.base + e];
    this.keyEnd = colon;
    return node;
  }

  /**
   * The `:` that ends a plain key starting at `i` (followed by a space or the line's end), or -1
   * when the line has none, or the key is not a plain scalar the fast path takes.
   */
  private plainKeyColon(i: number): number {
    const s = this.s;
    if (!this.plainStart(i)) return -1;
    for (let j = i + 1; j < this.le; j++) {
      const c = s.charCodeAt(j);
      if (c === 58 && (j + 1 >= this.le || s.charCodeAt(j + 1) === 32)) return j;
      if (c === 35 && s.charCodeAt(j - 1) === 32) return -1;
    }
    return -1;
  }

  /** Whether a plain scalar the fast path takes can start at `i`: not an indicator (YAML 1.2, block context). */
  private plainStart(i: number): boolean {
    const s = this.s;
    const c = s.charCodeAt(i);
    switch (c) {
      case 45: // -
      case 63: // ?
      case 58: {
        // :
        const d = s.charCodeAt(i + 1);
        return i + 1 < this.le && d !== 32;
      }
      case 44: // ,
      case 91: // [
      case 93: // ]
      case 123: // {
      case 125: // }
      case 35: // #
      case 38: // &
      case 42: // *
      case 33: // !
      case 124: // |
      case 62: // >
      case 39: // '
      case 34: // "
      case 37: // %
      case 64: // @
      case 96: // `
        return false;
      default:
        return true;
    }
  }

  /**
   * A value that starts at `i` on the current line, after `key: ` or `- ` (`n`: the collection's
   * indentation): a scalar, a block scalar or an empty flow collection. Leaves the parser on the
   * line after it.
   */
  private inline(i: number, n: number): Node {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === 124 || c === 62) return this.blockScalar(i, n, c === 62);
    let node: Node;
    let e: number;
    if (c === 34 || c === 39) {
      node = this.quoted(i, c === 39);
      e = node.range![1] - this.base;
    } else if (c === 91 || c === 123) {
      node = this.flow(i);
      e = node.range![1] - this.base;
    } else {
      if (!this.plainStart(i)) giveUp();
      e = this.plainLineEnd(i);
      let value = s.slice(i, e);
      // Lines indented deeper than the collection continue the scalar (folded: a space, or a
      // line break per blank line), up to a comment or a shallower line.
      if (!this.commentAfter(e)) {
        let blanks = 0;
        for (let p = this.next(); p < s.length; ) {
          // A hole reads as a comment line, which ends the scalar (even where its text starts blank).
          if (this.isHole(p)) break;
          let j = p;
          while (s.charCodeAt(j) === 32) j++;
          const nl = s.indexOf('\n', j);
          const le = nl < 0 ? s.length : nl;
          if (j >= le) {
            blanks++;
            p = le + 1;
            continue;
          }
          if (j - p <= n || s.charCodeAt(j) === 35) break;
          this.at(p);
          if (!this.plainStart(j) || isIndicator(s.charCodeAt(j))) giveUp();
          const ce = this.plainLineEnd(j);
          value += (blanks > 0 ? '\n'.repeat(blanks) : ' ') + s.slice(j, ce);
          e = ce;
          blanks = 0;
          if (this.commentAfter(ce)) break;
          p = this.next();
        }
      }
      node = this.plain(value);
    }
    // After the value: spaces, then a comment (after at least one space) or the line's end.
    let j = e;
    while (s.charCodeAt(j) === 32) j++;
    if (j < this.le && !(s.charCodeAt(j) === 35 && j > e)) giveUp();
    const after = this.next();
    node.range = [this.base + i, this.base + e, this.base + after];
    // A more indented line right after a plain value would continue it (or be an error): the caller gives up on it.
    this.at(after);
    return node;
  }

  /**
   * A one-line flow sequence or mapping at `i` of plain and quoted scalars and such
   * collections (`[a, "b"]`, `{cpu: 1, memory: 2Gi}`, `{secretKeyRef: {name: a, key: b}}`);
   * its range ends at the closing bracket (the caller extends it).
   */
  private flow(i: number): YAMLSeq | YAMLMap {
    const s = this.s;
    const isSeq = s.charCodeAt(i) === 91;
    const close = isSeq ? 93 : 125;
    const coll = isSeq ? newSeq(true) : newMap(true);
    let j = this.spaces(i + 1);
    while (s.charCodeAt(j) !== close) {
      if (j >= this.le) giveUp();
      if (isSeq) {
        const item = this.flowValue(j);
        (coll as YAMLSeq).items.push(item);
        j = item.range![2] - this.base;
      } else {
        const key = this.flowScalar(j, true);
        if (key.range![1] - this.base - j > 1000) giveUp();
        j = key.range![1] - this.base;
        // `key: value`, the colon right after the key and a space after it: nothing else is copied.
        if (s.charCodeAt(j) !== 58 || s.charCodeAt(j + 1) !== 32) giveUp();
        key.range = [key.range![0], key.range![1], key.range![1]];
        const value = this.flowValue(this.spaces(j + 1));
        if (key.type === 'PLAIN' && key.source === '<<') giveUp();
        this.compareKey(coll as YAMLMap, key);
        (coll as YAMLMap).items.push(newPair(key, value));
        j = value.range![2] - this.base;
      }
      const d = s.charCodeAt(j);
      if (d === 44 /* , */) j = this.spaces(j + 1);
      else if (d !== close) giveUp();
    }
    coll.range = [this.base + i, this.base + j + 1, this.base + j + 1];
    return coll;
  }

  /** An item or a value in a flow collection: a scalar or a nested collection, its range ending after the spaces that follow it. */
  private flowValue(i: number): Node {
    const c = this.s.charCodeAt(i);
    if (c !== 91 && c !== 123) return this.flowScalar(i, false);
    if (++this.depth > MAX_DEPTH) giveUp();
    const coll = this.flow(i);
    this.depth--;
    const r = coll.range!;
    r[2] = this.base + this.spaces(r[1] - this.base);
    return coll;
  }

  /** The first offset at or after `i` that is not a space. */
  private spaces(i: number): number {
    while (this.s.charCodeAt(i) === 32) i++;
    return i;
  }

  /**
   * A plain or quoted scalar inside a one-line flow collection, at `i`; its range ends after
   * the spaces that follow it (a key's: at the key, for the `:` right after it).
   */
  private flowScalar(i: number, key: boolean): Scalar {
    const s = this.s;
    const c = s.charCodeAt(i);
    let node: Scalar;
    let e: number;
    if (c === 34 || c === 39) {
      node = this.quoted(i, c === 39);
      e = node.range![1] - this.base;
    } else {
      // `-x` starts a plain scalar in a flow collection too; `-` before a flow indicator, `?` and `:` are left to the package.
      if (!this.plainStart(i) || c === 63 || c === 58 || (c === 45 && isFlowIndicator(s.charCodeAt(i + 1)))) giveUp();
      e = i;
      let j = i;
      for (; j < this.le; j++) {
        const d = s.charCodeAt(j);
        if (d === 44 || d === 93 || d === 125 || d === 58) break;
        if (d === 91 || d === 123 || (d === 35 && s.charCodeAt(j - 1) === 32)) giveUp();
        if (d !== 32) e = j + 1;
      }
      // A colon ends a key (the caller checks it); in a value or an item it would make a pair.
      if (j >= this.le || (s.charCodeAt(j) === 58) !== key) giveUp();
      if (key && e !== j) giveUp();
      node = this.plain(s.slice(i, e));
    }
    const after = this.spaces(e);
    node.range = [this.base + i, this.base + e, this.base + after];
    return node;
  }

  /** Where a plain scalar's text on the current line ends (before spaces and a comment), from `i`. */
  private plainLineEnd(i: number): number {
    const s = this.s;
    let e = i;
    for (let j = i; j < this.le; j++) {
      const d = s.charCodeAt(j);
      if (d === 32) {
        if (s.charCodeAt(j + 1) === 35) break;
        continue;
      }
      // `a: b: c` is an error, `a: b:` a plain scalar the package reads differently in flow; both leave.
      if (d === 58 && (j + 1 >= this.le || s.charCodeAt(j + 1) === 32)) giveUp();
      e = j + 1;
    }
    return e;
  }

  /** Whether a comment follows `e` on the current line (after spaces). */
  private commentAfter(e: number): boolean {
    let j = e;
    while (this.s.charCodeAt(j) === 32) j++;
    return j < this.le && this.s.charCodeAt(j) === 35;
  }

  /** A plain scalar's node: its value resolved by the core schema, as the composer does. */
  private plain(src: string): Scalar {
    const c = src.charCodeAt(0);
    // Only these can start a null, a boolean or a number of the core schema.
    const maybeTagged = src.length === 0 || c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70 || c === 43 || c === 45 || c === 46 || (c >= 48 && c <= 57);
    let node: Scalar;
    if (maybeTagged) {
      const tag = this.tags.find((t) => t.test!.test(src));
      if (tag) {
        const res = tag.resolve(src, giveUp, this.doc.options);
        // The null, boolean and float tags make a Scalar of their own (floats may note their digits).
        if (res instanceof Scalar) {
          node = newScalar(res.value, src, 'PLAIN');
          if (res.minFractionDigits !== undefined) node.minFractionDigits = res.minFractionDigits;
        } else node = newScalar(res, src, 'PLAIN');
        if (tag.format) node.format = tag.format;
        return node;
      }
    }
    return newScalar(src, src, 'PLAIN');
  }

  /** The offset after the closing quote of a one-line single-quoted scalar at `i`, or -1. */
  private singleEnd(i: number): number {
    const s = this.s;
    for (let j = s.indexOf("'", i + 1); j >= 0 && j < this.le; j = s.indexOf("'", j + 2)) {
      if (s.charCodeAt(j + 1) !== 39) return j + 1;
    }
    return -1;
  }

  /** The offset after the closing quote of a one-line double-quoted scalar at `i`, or -1. */
  private doubleEnd(i: number): number {
    const s = this.s;
    for (let j = i + 1; j < this.le; j++) {
      const c = s.charCodeAt(j);
      if (c === 92) j++;
      else if (c === 34) return j + 1;
    }
    return -1;
  }

  /** A one-line quoted scalar at `i`; its range ends at the closing quote (the caller extends it). */
  private quoted(i: number, single: boolean): Scalar {
    const s = this.s;
    const close = single ? this.singleEnd(i) : this.doubleEnd(i);
    if (close < 0) giveUp();
    const raw = s.slice(i + 1, close - 1);
    let value: string;
    if (single) value = raw.includes("''") ? raw.replace(/''/g, "'") : raw;
    else value = raw.includes('\\') ? unescapeDouble(raw) : raw;
    const node = newScalar(value, value, single ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE');
    node.range = [this.base + i, this.base + close, this.base + close];
    return node;
  }

  /**
   * A literal or folded block scalar whose header is at `i` (`n`: the enclosing collection's
   * indentation). Clip and strip chomping; no indentation indicator, no more-indented lines in
   * a folded scalar, no trailing spaces beyond the content's indentation.
   */
  private blockScalar(i: number, n: number, folded: boolean): Scalar {
    const s = this.s;
    let h = i + 1;
    let strip = false;
    if (s.charCodeAt(h) === 45) {
      strip = true;
      h++;
    }
    const headerEnd = h;
    let j = h;
    while (s.charCodeAt(j) === 32) j++;
    if (j < this.le && !(s.charCodeAt(j) === 35 && j > h)) giveUp();
    const props: BlockScalarToken['props'] = [{ type: 'block-scalar-header', offset: this.base + i, indent: n, source: s.slice(i, headerEnd) }];
    if (j < this.le) {
      if (j > headerEnd) props.push({ type: 'space', offset: this.base + headerEnd, indent: n, source: s.slice(headerEnd, j) });
      props.push({ type: 'comment', offset: this.base + j, indent: n, source: s.slice(j, this.le) });
    } else if (this.le > headerEnd) giveUp(); // trailing spaces after the header: a token shape not copied
    if (this.le >= s.length) giveUp();
    props.push({ type: 'newline', offset: this.base + this.le, indent: n, source: '\n' });
    const contentStart = this.le + 1;
    // The content lines: the first non-blank one sets the indentation, which must be deeper than `n`.
    let indent = -1;
    let leadingBlank = 0;
    let lastEnd = -1; // after the last content line's `\n`
    let blanks = 0;
    let value = '';
    let p = contentStart;
    while (p < s.length) {
      this.at(p);
      if (this.inHole) {
        // A comment line: it ends the scalar where it is shallower than the content.
        if (this.ind <= n || (indent >= 0 && this.ind < indent)) break;
        giveUp();
      }
      const blank = this.cs >= this.le;
      if (blank) {
        // A blank line: only spaces, no more than the content's indentation (more would be content).
        if (indent >= 0 ? this.ind > indent : false) giveUp();
        if (indent < 0) leadingBlank++;
        else blanks++;
        p = this.next();
        continue;
      }
      if (indent < 0) {
        if (this.ind <= n) break;
        indent = this.ind;
        // Leading blank lines longer than the indentation would be an error.
        for (let q = contentStart; q < this.ls; q = s.indexOf('\n', q) + 1) if (s.indexOf('\n', q) - q > indent) giveUp();
      } else if (this.ind < indent) break;
      if (this.le >= s.length) giveUp(); // the last line without a line break
      const line = s.slice(this.ls + indent, this.le);
      if (folded && this.ind > indent) giveUp();
      if (folded) {
        if (value === '' && lastEnd < 0) value = '\n'.repeat(leadingBlank) + line;
        else value += (blanks === 0 ? ' ' : '\n'.repeat(blanks)) + line;
      } else {
        if (value === '' && lastEnd < 0) value = '\n'.repeat(leadingBlank) + line;
        else value += '\n'.repeat(blanks + 1) + line;
      }
      blanks = 0;
      lastEnd = this.le + 1;
      p = lastEnd;
    }
    if (lastEnd < 0) giveUp();
    if (!strip) value += '\n';
    const node = newScalar(value, value, folded ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL');
    node.range = [this.base + i, this.base + lastEnd, this.base + lastEnd];
    const tok: BlockScalarToken = { type: 'block-scalar', offset: this.base + i, indent: n, props, source: s.slice(contentStart, lastEnd) };
    node.srcToken = tok as never;
    this.at(lastEnd);
    return node;
  }
}

/** An indicator character at the start of a line: left to the package even where the line continues a plain scalar. */
function isIndicator(c: number): boolean {
  return '-?:,[]{}#&*!|>\'"%@`'.includes(String.fromCharCode(c));
}

function isFlowIndicator(c: number): boolean {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', e: '\x1b', ' ': ' ' };

/** A one-line double-quoted scalar's escapes (the common ones; others give up). */
function unescapeDouble(raw: string): string {
  let out = '';
  let from = 0;
  for (let i = raw.indexOf('\\'); i >= 0; i = raw.indexOf('\\', from)) {
    out += raw.slice(from, i);
    const c = raw[i + 1]!;
    const e = ESCAPES[c];
    if (e !== undefined) {
      out += e;
      from = i + 2;
    } else if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 2, i + 6))) {
      const code = parseInt(raw.slice(i + 2, i + 6), 16);
      if (code >= 0xd800 && code <= 0xdfff) giveUp();
      out += String.fromCharCode(code);
      from = i + 6;
    } else giveUp();
  }
  return out + raw.slice(from);
}
