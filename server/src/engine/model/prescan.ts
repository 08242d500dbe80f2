/**
 * Which documents of a file can matter, decided from their text without parsing them. Rendered
 * install manifests are mostly CustomResourceDefinitions, RBAC, dashboards and webhooks: no
 * rule can speak about them and they configure nothing the rules read, yet they are most of
 * the bytes. This module splits a file into documents at the `---`/`...` lines (which YAML
 * itself treats as boundaries wherever they stand), looks at each document's outline (the keys
 * of its block mappings, line by line) and parses only the documents that may hold something
 * the analysis reads: a pod template, a mesh or injector source, a Namespace or ProxyConfig, an
 * object's `metadata.annotations`. Each of those is parsed on its own, at its offset in the file,
 * so node ranges are the same as in a parse of the whole file.
 *
 * The decision is conservative: whatever the outline cannot read for sure (flow or JSON
 * documents, anchors and aliases on the way, escapes in keys, tabs, odd keys, a `kind` written
 * over two lines) falls back to a plain word search over the raw text, and a document that
 * contains any word that could matter is parsed. A document whose only concern is its
 * annotations is parsed with its other top-level entries blanked out (replaced by a comment of
 * the same length), which is what keeps CRDs with annotations cheap. `test/prescan.test.ts`
 * checks that this gives the same findings as the full parse on every corpus file and fixture.
 *
 * What the analysis reads, and so what this module must look for, is listed in `objectMatters`;
 * a rule that starts reading something else of an object must be reflected there.
 */
import type { Document } from 'yaml';
import { holdsDocument, isMarker, lineEnd, parseDocumentsAt, skipBlanks, splitDocuments, type DocumentSlice } from '../yaml/stream';
import { parsedDocumentOf, parseFile, PARSE_OPTIONS, type ParsedDocument, type ParsedFile } from './documents';

/** What to do with one document. */
export type Decision =
  /**
   * It cannot produce or influence a finding: not parsed. `depth`, when set: the outline read no
   * line indented deeper than this, so an edit inside such a line, past its first two characters
   * and on one line, leaves the decision as it is (`editOpenFile` relies on it).
   */
  | { kind: 'skip'; depth?: number }
  /** Parse it as written. `contributes`: it may add to the run's context (a Namespace, a mesh source, a ProxyConfig). */
  | { kind: 'parse'; contributes: boolean }
  /** Parse it with these entries blanked out: `[start, end)` offsets from the document slice's start, so the decision holds wherever the slice moves. */
  | { kind: 'elide'; ranges: [number, number][]; contributes: boolean };

/** Kinds that `contributeToContext` reads (with ConfigMap, and objects without kind and apiVersion). */
const CONTRIBUTING_KINDS = new Set(['Namespace', 'ProxyConfig', 'IstioOperator', 'Istio', 'ConfigMap']);

/** Kinds whose pod template (or the object itself) is a pod: `pod-template.ts`'s known kinds and Pod. */
const POD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Rollout', 'PodTemplate']);
/** Kinds that contribute mesh-wide configuration (`mesh.ts`). */
const MESH_KINDS = new Set(['IstioOperator', 'Istio', 'ProxyConfig']);
/** Top-level keys of istiod Helm values (`mesh.ts`, `looksLikeIstiod`). */
const HELM_KEYS = new Set(['meshConfig', 'global', 'pilot']);
/**
 * The fallback: a document whose outline cannot be read is parsed when its raw text holds any
 * of these (a superset of every key and kind `objectMatters` looks for), or an escape sequence
 * that could spell one in a quoted key.
 */
const ANY_CONCERN = /ontainers|annotations|[Ii]stio|knative|meshConfig|global|pilot|Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet|ReplicationController|Job|Rollout|\\[xuU]|\\\r?\n/;
const ISTIO_OR_ESCAPE = /[Ii]stio|\\[xuU]|\\\r?\n/;
/** What a document must hold to contribute to the context (a superset of `contributeToContext`'s kinds and keys). */
const ANY_CONTRIBUTION = /[Ii]stio|meshConfig|global|pilot|\\[xuU]|\\\r?\n/;
/** Something that may be an anchor (`&name` where a node can start); false positives only cost a full parse. */
const ANCHOR = /(?:^|[\s[{,])&[^\s[\]{},]/;
/** Something that may be an alias (`*name` where a node can start). */
const ALIAS = /(?:^|[\s[{,:])\*[^\s[\]{},]/;
/** Something that may be a merge key (`<<:`); false positives only cost a full parse. */
const MERGE_KEY = /(?:^|[\s{,])<<[ \t]*:/;
/** Blanking out is only worth it (and only done) for entries at least this long. */
const ELIDE_MIN = 4096;

/**
 * Decide whether (and how) the document in `[start, end)` of `text` must be parsed.
 * `atFileStart`: the slice starts the file (a byte order mark there is not content); a caller
 * that passes a slice's own text (at 0) says whether it is the file's first.
 */
export function classifyDocument(text: string, start: number, end: number, atFileStart = start === 0): Decision {
  let from = start;
  if (atFileStart && text.charCodeAt(start) === 0xfeff) from = start + 1;
  if (isMarker(text, from, '---')) {
    const le = lineEnd(text, from, end);
    const j = skipBlanks(text, from + 3, le);
    // Content after `---` on the same line: the root node starts there; not an outline we read.
    if (j < le && text.charCodeAt(j) !== 35) return fallback(text, start, end);
    from = Math.min(end, le + 1);
  }
  let to = end;
  // A slice ends after its `...` line, if it has one.
  const lastLine = text.lastIndexOf('\n', end - 2) + 1;
  if (lastLine >= from && isMarker(text, Math.max(lastLine, start), '...')) to = Math.max(lastLine, from);
  deepest = 0;
  const root = entriesOf(text, from, to, 0);
  if (!root) return fallback(text, start, end);
  if (root.length === 0) return { kind: 'skip' };
  const verdict = objectMatters(text, root, from, to, true);
  if (verdict === 'skip') {
    // Namespaces, ConfigMaps and Lists are decided on more than the outline (a word search, their items).
    const kind = valueOf(byKey(root, 'kind')) ?? '';
    return kind === 'Namespace' || kind === 'ConfigMap' || kind === 'List' || kind.endsWith('List') ? { kind: 'skip' } : { kind: 'skip', depth: deepest };
  }
  const contributes = mayContribute(root);
  if (verdict === 'parse') return { kind: 'parse', contributes };
  const ranges: [number, number][] = [];
  // An alias in what is kept may point to an anchor in what is blanked out: then parse it all.
  if (elisions(text, root, verdict, ranges) && ALIAS.test(keptText(text, from, to, ranges))) return { kind: 'parse', contributes };
  // A merge key anywhere makes the document one the engine does not analyse (documents.ts): it must be seen.
  if (ranges.some(([a, b]) => MERGE_KEY.test(text.slice(a, b)))) return { kind: 'parse', contributes };
  let elided = 0;
  for (const [a, b] of ranges) elided += b - a;
  return elided >= ELIDE_MIN ? { kind: 'elide', ranges: ranges.map(([a, b]) => [a - start, b - start]), contributes } : { kind: 'parse', contributes };
}

/** Whether a document's root object may contribute to the context: false only for a known kind that never does. */
function mayContribute(root: Entry[]): boolean {
  const kind = valueOf(byKey(root, 'kind'));
  const api = valueOf(byKey(root, 'apiVersion'));
  if (kind === undefined || api === undefined || !kind) return true;
  return CONTRIBUTING_KINDS.has(kind) || kind === 'List' || kind.endsWith('List');
}

/** The entries of a mapping the analysis reads, by key: `true` for all of the value, or the same for its entries. */
interface Keep {
  [key: string]: true | Keep;
}

/** An object whose only concern is its annotations (annotation-not-string, `drainguard/ignore`). */
const ANNOTATIONS_ONLY: Keep = { apiVersion: true, kind: true, metadata: true };
/** An `istio*` ConfigMap: `mesh.ts` reads its metadata and `data.values` (injector) or `data.mesh` (mesh config), not the injection templates. */
const ISTIO_CONFIGMAP: Keep = { apiVersion: true, kind: true, metadata: true, data: { values: true, mesh: true } };

/**
 * Collect the ranges of the entries not in `keep` (whole entries, from their key's line to the
 * next entry), in order. True when a blanked-out entry may hold an anchor.
 */
function elisions(text: string, entries: Entry[], keep: Keep, out: [number, number][]): boolean {
  let anchors = false;
  for (const e of entries) {
    const k = keep[e.key];
    if (k === true) continue;
    if (k === undefined) {
      // A scalar (a block scalar's header holds no anchor here) cannot hold an anchor; a collection may.
      if (e.inline.kind !== 'block' && e.inline.kind !== 'scalar') anchors ||= ANCHOR.test(text.slice(e.lineStart, e.end));
      out.push([e.lineStart, e.end]);
      continue;
    }
    if (e.inline.kind !== 'none' || !e.hasBody || e.bodyIsSeq) continue;
    const children = entriesOf(text, e.bodyStart, e.end);
    if (children) anchors = elisions(text, children, k, out) || anchors;
  }
  return anchors;
}

/** The text of `[from, to)` without the blanked-out ranges. */
function keptText(text: string, from: number, to: number, ranges: [number, number][]): string {
  const parts: string[] = [];
  let at = from;
  for (const [a, b] of ranges) {
    parts.push(text.slice(at, a));
    at = b;
  }
  parts.push(text.slice(at, to));
  return parts.join('');
}

/**
 * What the analysis reads of one object (a document's root mapping or a List item), from its
 * outline: 'parse' when it may be a pod, a mesh source, a labelled Namespace or a ProxyConfig
 * (or when that cannot be told), what of it to keep when only part of it can matter (its
 * metadata for annotation-not-string and `drainguard/ignore`; an `istio*` ConfigMap's metadata
 * and mesh keys), 'skip' otherwise. List items are parsed whole when anything of them matters.
 */
function objectMatters(text: string, entries: Entry[], from: number, to: number, top: boolean): 'skip' | 'parse' | Keep {
  const keys = new Set<string>();
  for (const e of entries) {
    // Duplicate keys are a YAML error: let the parser say so.
    if (keys.has(e.key)) return 'parse';
    keys.add(e.key);
    if (HELM_KEYS.has(e.key)) return 'parse';
  }
  const kind = valueOf(byKey(entries, 'kind'));
  const api = valueOf(byKey(entries, 'apiVersion'));
  if (kind === undefined || api === undefined) return 'parse';
  const k = kind ?? '';
  if (POD_KINDS.has(k) || MESH_KINDS.has(k)) return 'parse';
  if ((api ?? '').includes('knative')) return 'parse';
  if (k === 'Namespace' && ISTIO_OR_ESCAPE.test(text.slice(from, to))) return 'parse';
  if (k === 'ConfigMap') {
    const name = valueAt(text, entries, ['metadata', 'name']);
    if (name === undefined ? ISTIO_OR_ESCAPE.test(text.slice(from, to)) : (name ?? '').startsWith('istio')) return top ? ISTIO_CONFIGMAP : 'parse';
  }
  if (top && (k === 'List' || k.endsWith('List'))) {
    const items = byKey(entries, 'items');
    if (items) {
      // `documents.ts`: a List's objects are its items (the List itself is not an object).
      if (items.inline.kind === 'scalar' || (items.inline.kind === 'none' && !items.hasBody)) return 'skip';
      if (items.inline.kind === 'other' && items.inline.text === '[]') return 'skip';
      if (items.inline.kind !== 'none') return 'parse';
      const list = itemsOf(text, items.bodyStart, items.end);
      if (!list) return 'parse';
      for (const item of list) if (objectMatters(text, item.entries, item.from, item.to, false) !== 'skip') return 'parse';
      return 'skip';
    }
  }
  // Any kind: a pod template is `spec.template.spec` with `containers` (pod-template.ts's generic walk).
  if (existsAt(text, entries, ['spec', 'template', 'spec', 'containers']) !== false) return 'parse';
  const ann = existsAt(text, entries, ['metadata', 'annotations']);
  if (ann === 'unsure' || (ann && !top)) return 'parse';
  return ann ? ANNOTATIONS_ONLY : 'skip';
}

/** The fallback for documents whose outline cannot be read: a word search over the raw text. */
function fallback(text: string, start: number, end: number): Decision {
  const raw = text.slice(start, end);
  return ANY_CONCERN.test(raw) ? { kind: 'parse', contributes: ANY_CONTRIBUTION.test(raw) } : { kind: 'skip' };
}

type Inline =
  /** Nothing after the colon (a block value, or null). */
  | { kind: 'none' }
  /** A plain or quoted scalar on the key's line; null for `~`, `null` and the like. */
  | { kind: 'scalar'; value: string | null }
  /** A block scalar header (`|`, `>-`, …). */
  | { kind: 'block' }
  /** Anything else: flow collections, anchors, aliases, tags, escapes. */
  | { kind: 'other'; text: string };

/** One entry of a block mapping as the line outline sees it. */
interface Entry {
  key: string;
  /** Offset of the first character of the key's line. */
  lineStart: number;
  /** Offset just after the key's line. */
  bodyStart: number;
  /** End of the entry: the start of the next entry's line, or the end of the mapping. */
  end: number;
  inline: Inline;
  /** Lines below the key line hold content (not only blanks and comments). */
  hasBody: boolean;
  /** The first content line below the key line is a sequence entry. */
  bodyIsSeq: boolean;
}

/** The deepest indentation of the keys the outline of the current `classifyDocument` read. */
let deepest = 0;

const KEY = /(?:([A-Za-z0-9_][A-Za-z0-9_./-]*)|"([^"\\\n\r]*)"|'([^'\n\r]*)')[ \t]*:(?=[ \t\r\n]|$)/y;

/**
 * The entries of a block mapping whose lines are `[from, to)`, or undefined when the lines are
 * not a block mapping this outline reads for sure. `indent`: the mapping's required indentation
 * (the root's is 0), else the first content line's. `firstKey`: the offset of the first key when
 * it does not start its line (a sequence item's `- key:`).
 */
function entriesOf(text: string, from: number, to: number, indent?: number, firstKey?: number): Entry[] | undefined {
  const out: Entry[] = [];
  let n = -1;
  let cur: Entry | undefined;
  let shallow: RegExp | undefined;
  let i = from;
  while (i < to) {
    const le = lineEnd(text, i, to);
    const next = Math.min(to, le + 1);
    let j: number;
    let col: number;
    if (firstKey !== undefined && i === from) {
      j = firstKey;
      col = firstKey - (text.lastIndexOf('\n', firstKey - 1) + 1);
    } else {
      j = i;
      // Only whether the indentation is below, at or beyond the mapping's matters.
      const limit = n < 0 ? le : i + n + 1;
      while (j < limit && text.charCodeAt(j) === 32) j++;
      col = j - i;
    }
    if (n >= 0 && col > n) {
      // A line of the current entry's value.
      if (cur && !cur.hasBody) {
        const c = skipBlanks(text, j, le);
        if (c < le && text.charCodeAt(c) !== 35) {
          cur.hasBody = true;
          cur.bodyIsSeq = isSeqIndicator(text, c, le);
        }
      }
      // Once the value is known to have a body, its other lines need no look: jump to the next line this mapping owns.
      if (cur?.hasBody) {
        shallow ??= new RegExp(`\\n {0,${n}}[^ \\n]`, 'g');
        i = nextShallow(text, shallow, le, to);
      } else i = next;
      continue;
    }
    const c = skipBlanks(text, j, le);
    if (c >= le || text.charCodeAt(c) === 35) {
      i = next; // blank or comment
      continue;
    }
    if (c !== j) return undefined; // a tab where the indentation ends
    if (n < 0) {
      if (indent !== undefined && col !== indent) return undefined;
      n = col;
      if (n > deepest) deepest = n;
    } else if (col < n) return undefined;
    if (isSeqIndicator(text, j, le)) {
      // A sequence at the key's own indentation (`key:` then `- item`) is the key's value.
      if (!cur || cur.inline.kind !== 'none') return undefined;
      if (!cur.hasBody) {
        cur.hasBody = true;
        cur.bodyIsSeq = true;
      }
      i = next;
      continue;
    }
    const e = keyLine(text, j, le, i, next);
    if (!e) return undefined;
    if (cur) cur.end = i;
    out.push(e);
    cur = e;
    i = next;
  }
  if (cur) cur.end = to;
  return out;
}

/** The start of the first line after `le` that `re` (a line break, at most n spaces, a character) finds before `to`, or `to`. */
function nextShallow(text: string, re: RegExp, le: number, to: number): number {
  if (le >= to) return to;
  re.lastIndex = le;
  const m = re.exec(text);
  return m && m.index < to ? m.index + 1 : to;
}

/** Parse one `key: value` line at `j`, or undefined when it is not a simple key. */
function keyLine(text: string, j: number, le: number, lineStart: number, next: number): Entry | undefined {
  KEY.lastIndex = j;
  const m = KEY.exec(text);
  if (!m || m.index !== j || KEY.lastIndex > le) return undefined;
  const key = m[1] ?? m[2] ?? m[3] ?? '';
  const rest = text.slice(KEY.lastIndex, le).trim();
  return { key, lineStart, bodyStart: next, end: next, inline: inlineOf(rest), hasBody: false, bodyIsSeq: false };
}

function inlineOf(rest: string): Inline {
  if (rest === '' || rest[0] === '#') return { kind: 'none' };
  const c = rest[0]!;
  if (c === '|' || c === '>') return /^[|>][1-9+-]{0,2}(?:[ \t]+#.*)?$/.test(rest) ? { kind: 'block' } : { kind: 'other', text: rest };
  if (c === '"') {
    const m = /^"([^"\\]*)"[ \t]*(?:#.*)?$/.exec(rest);
    return m ? { kind: 'scalar', value: m[1]! } : { kind: 'other', text: rest };
  }
  if (c === "'") {
    const m = /^'([^']*)'[ \t]*(?:#.*)?$/.exec(rest);
    return m ? { kind: 'scalar', value: m[1]! } : { kind: 'other', text: rest };
  }
  if ('[]{}&*!%@`,?:#'.includes(c) || (c === '-' && /^-(?:[ \t]|$)/.test(rest))) return { kind: 'other', text: rest };
  const hash = rest.search(/[ \t]#/);
  const value = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
  // `a: b: c` is not a plain scalar.
  if (/:(?:[ \t]|$)/.test(value)) return { kind: 'other', text: rest };
  return { kind: 'scalar', value: /^(?:~|null|Null|NULL)?$/.test(value) ? null : value };
}

/** The items of a block sequence whose lines are `[from, to)`, each a mapping; undefined otherwise. */
function itemsOf(text: string, from: number, to: number): { entries: Entry[]; from: number; to: number }[] | undefined {
  const starts: { line: number; dash: number }[] = [];
  let m = -1;
  let shallow: RegExp | undefined;
  let i = from;
  while (i < to) {
    const le = lineEnd(text, i, to);
    let j = i;
    // Past the sequence's indentation, only whether the line is deeper matters.
    const limit = m < 0 ? le : Math.min(le, i + m + 1);
    while (j < limit && text.charCodeAt(j) === 32) j++;
    if (m < 0 || j - i <= m) {
      const c = skipBlanks(text, j, le);
      if (c < le && text.charCodeAt(c) !== 35) {
        if (c !== j) return undefined;
        const col = j - i;
        if (m < 0) m = col;
        if (col < m) return undefined;
        if (!isSeqIndicator(text, j, le)) return undefined;
        starts.push({ line: i, dash: j });
        // The item's own lines are deeper: the next line to look at is the next one at the sequence's indentation or less.
        shallow ??= new RegExp(`\\n {0,${m}}[^ \\n]`, 'g');
        i = nextShallow(text, shallow, le, to);
        continue;
      }
    }
    i = Math.min(to, le + 1);
  }
  const out: { entries: Entry[]; from: number; to: number }[] = [];
  for (let k = 0; k < starts.length; k++) {
    const { line, dash } = starts[k]!;
    const end = k + 1 < starts.length ? starts[k + 1]!.line : to;
    const le = lineEnd(text, line, end);
    const first = skipBlanks(text, dash + 1, le);
    let entries: Entry[] | undefined;
    if (first >= le || text.charCodeAt(first) === 35) {
      entries = entriesOf(text, Math.min(end, le + 1), end);
      if (entries && entries.length > 0 && columnOf(text, entries[0]!.lineStart, end) <= m) entries = undefined;
    } else if (first === dash + 1 || text.charCodeAt(dash + 1) === 32) {
      entries = entriesOf(text, line, end, undefined, first);
    }
    if (!entries || entries.length === 0) return undefined;
    out.push({ entries, from: line, to: end });
  }
  return out;
}

/** Whether the key path exists (true/false), or 'unsure' when the outline cannot tell. */
function existsAt(text: string, entries: Entry[], path: readonly string[]): boolean | 'unsure' {
  const e = byKey(entries, path[0]!);
  if (!e) return false;
  if (path.length === 1) return true;
  switch (e.inline.kind) {
    case 'scalar':
    case 'block':
      return false;
    case 'other':
      return 'unsure';
    case 'none': {
      if (!e.hasBody || e.bodyIsSeq) return false;
      const children = entriesOf(text, e.bodyStart, e.end);
      if (!children) return 'unsure';
      if (new Set(children.map((c) => c.key)).size !== children.length) return 'unsure';
      return existsAt(text, children, path.slice(1));
    }
  }
}

/** The scalar value at a key path: a string, null (absent or null), or undefined when unsure. */
function valueAt(text: string, entries: Entry[], path: readonly string[]): string | null | undefined {
  const e = byKey(entries, path[0]!);
  if (!e) return null;
  if (path.length === 1) return valueOf(e);
  if (e.inline.kind === 'other') return undefined;
  if (e.inline.kind !== 'none' || !e.hasBody || e.bodyIsSeq) return null;
  const children = entriesOf(text, e.bodyStart, e.end);
  return children ? valueAt(text, children, path.slice(1)) : undefined;
}

/** An entry's scalar value: a string, null (absent, empty or null), or undefined when unsure. */
function valueOf(e: Entry | undefined): string | null | undefined {
  if (!e) return null;
  if (e.inline.kind === 'scalar' && !e.hasBody) return e.inline.value;
  if (e.inline.kind === 'none' && !e.hasBody) return null;
  return undefined;
}

function byKey(entries: Entry[], key: string): Entry | undefined {
  let found: Entry | undefined;
  for (const e of entries) if (e.key === key) found = e;
  return found;
}



function isSeqIndicator(text: string, j: number, le: number): boolean {
  if (text.charCodeAt(j) !== 45) return false;
  const n = text.charCodeAt(j + 1);
  return j + 1 >= le || n === 32 || n === 9 || n === 13;
}

function columnOf(text: string, lineStart: number, to: number): number {
  let j = lineStart;
  while (j < to && text.charCodeAt(j) === 32) j++;
  return j - lineStart;
}

/**
 * Parse one slice as decided (not for 'skip'). The blanked-out entries read as comments of the
 * same length at their own indentation, so every later offset stays where it was; the fast
 * path reads them so without making that text (`yaml/fast-parse.ts` holes).
 */
export function parseSlice(text: string, s: DocumentSlice, decision: Decision): Document.Parsed[] {
  const source = text.slice(s.start, s.end);
  if (decision.kind !== 'elide') return parseDocumentsAt(source, s.start, PARSE_OPTIONS);
  return parseDocumentsAt(source, s.start, PARSE_OPTIONS, decision.ranges);
}

/**
 * Parse only the documents of a file that can matter (see the module comment). The result has
 * the same shape as `parseFile`'s, with the skipped documents left out of `documents` (the
 * others keep their index in the stream).
 */
export function parseRelevant(uri: string, text: string): ParsedFile {
  const slices = splitDocuments(text);
  if (!slices) return parseFile(uri, text);
  const documents: ParsedDocument[] = [];
  let index = 0;
  for (const s of slices) {
    const decision = classifyDocument(text, s.start, s.end);
    if (decision.kind === 'skip') {
      if (holdsDocument(text, s)) index++;
      continue;
    }
    for (const doc of parseSlice(text, s, decision)) documents.push(parsedDocumentOf(doc, index++, text));
  }
  return { uri, text, documents };
}

/** What a parse only for notes needs: the same errors (`uniqueKeys`), no source tokens. */
const NOTE_OPTIONS = { prettyErrors: false, uniqueKeys: true } as const;

/**
 * Parse every document, so that each one that does not parse is known, but keep only those that
 * can matter (and those that do not parse): the documents left out would give no finding. A
 * document with blanked-out entries is parsed whole first, so an error inside what is blanked out
 * still makes it a document that does not parse, as in the full parse.
 */
export function parseEvery(uri: string, text: string): ParsedFile {
  const slices = splitDocuments(text);
  if (!slices) return parseFile(uri, text);
  const documents: ParsedDocument[] = [];
  let index = 0;
  for (const s of slices) {
    const decision = classifyDocument(text, s.start, s.end);
    if (decision.kind === 'parse') {
      for (const doc of parseSlice(text, s, decision)) documents.push(parsedDocumentOf(doc, index++, text));
      continue;
    }
    // Kept only when not analysable (a syntax error, or what parsedDocumentOf refuses, such as a merge key).
    const whole = parseDocumentsAt(text.slice(s.start, s.end), s.start, NOTE_OPTIONS).map((doc, k) => parsedDocumentOf(doc, index + k, text));
    const broken = whole.some((d) => !d.ok);
    if (decision.kind === 'skip') {
      for (const d of whole) if (!d.ok) documents.push(d);
      index += whole.length;
    } else {
      for (const doc of broken ? parseSlice(text, s, { kind: 'parse', contributes: decision.contributes }) : parseSlice(text, s, decision)) documents.push(parsedDocumentOf(doc, index++, text));
    }
  }
  return { uri, text, documents };
}

/** Parse only the documents that may contribute to a run's context (Namespaces, mesh sources, ProxyConfigs). */
export function parseContributors(uri: string, text: string): ParsedFile {
  const slices = splitDocuments(text);
  if (!slices) return parseFile(uri, text);
  const documents: ParsedDocument[] = [];
  let index = 0;
  for (const s of slices) {
    const decision = classifyDocument(text, s.start, s.end);
    if (decision.kind === 'skip' || !decision.contributes) {
      // Its index only: a document that does not parse contributes nothing anyway.
      if (holdsDocument(text, s)) index++;
      continue;
    }
    for (const doc of parseSlice(text, s, decision)) documents.push(parsedDocumentOf(doc, index++, text));
  }
  return { uri, text, documents };
}
