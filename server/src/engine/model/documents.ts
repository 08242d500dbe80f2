/**
 * Splits a file into YAML documents and Kubernetes objects. Every document of a stream is
 * kept; `kind: List` (and `*List`) items become objects of their own. A document that does
 * not parse is kept too, marked not ok, so callers can note it without analysing it.
 */
import { Composer, isMap, Parser, type Document, type YAMLMap } from 'yaml';
import type { Note, Range } from '../types';
import { parseDocumentsAt, splitDocuments, withoutStackTraces } from '../yaml/stream';
import { deref, mapAt, mapsOf, pairOf, seqAt, stringAt } from '../yaml/nodes';
import { addDuplicateKeyErrors, mergeKeyOf, parseOptions, wantsUniqueKeys } from '../yaml/unique-keys';
import { composeWithinLimit } from '../yaml/depth';
import { fastFacts } from '../yaml/fast-parse';

/** One Kubernetes (or Kubernetes-shaped) object: a mapping at the top of a document or a List item. */
export interface K8sObject {
  doc: Document.Parsed;
  node: YAMLMap;
  kind?: string;
  apiVersion?: string;
  name?: string;
  namespace?: string;
  metadata?: YAMLMap;
  labels?: YAMLMap;
  annotations?: YAMLMap;
  /** Offsets the object covers. */
  range: Range;
}

export interface ParsedDocument {
  /** 0-based index in the stream. */
  index: number;
  doc: Document.Parsed;
  /** False when the document has YAML errors: it is not analysed. */
  ok: boolean;
  range: Range;
  objects: K8sObject[];
  errors: Note[];
  /** Why a document that parses is not analysed either (a merge key): the note says so. */
  unsupported?: string;
}

export interface ParsedFile {
  uri: string;
  text: string;
  documents: ParsedDocument[];
}

/** The parser options of every parse of a file's documents (the full parse and `prescan.ts`'s). */
export const PARSE_OPTIONS = { prettyErrors: false, keepSourceTokens: true, uniqueKeys: true } as const;

/**
 * Parse a file's text into documents and objects. Never throws. Each document is parsed on its
 * own, between its `---`/`...` lines (`yaml/stream.ts`), as kubectl reads a stream: on real files
 * that is exactly the stream's parse (`test/prescan.test.ts` checks the corpus), and after a
 * broken document the next one still stands, where the parser's error recovery may swallow it.
 */
export function parseFile(uri: string, text: string): ParsedFile {
  const slices = splitDocuments(text);
  if (slices) {
    const documents: ParsedDocument[] = [];
    for (const s of slices) for (const doc of parseDocumentsAt(text.slice(s.start, s.end), s.start, PARSE_OPTIONS)) documents.push(parsedDocumentOf(doc, documents.length, text));
    return { uri, text, documents };
  }
  // Directives apply across documents: the stream is parsed whole.
  const docs = withoutStackTraces(() => {
    // parseAllDocuments, with documents nested too deep left out (yaml/depth.ts).
    const list = composeWithinLimit(new Parser().parse(text), new Composer(parseOptions(PARSE_OPTIONS)));
    if (wantsUniqueKeys(PARSE_OPTIONS)) for (const d of list) addDuplicateKeyErrors(d);
    return list;
  }, [] as Document.Parsed[]);
  const documents: ParsedDocument[] = docs.map((doc, index) => parsedDocumentOf(doc, index, text));
  return { uri, text, documents };
}

/** One parsed document of a stream (index: its 0-based position in the stream) with its objects. */
export function parsedDocumentOf(doc: Document.Parsed, index: number, text: string): ParsedDocument {
  const range = { start: doc.range?.[0] ?? 0, end: doc.range?.[2] ?? text.length };
  // Clamped: an error at the end of the text (an unclosed quote) is reported one past it.
  const clamp = (o: number): number => Math.max(0, Math.min(o, text.length));
  const errors: Note[] = doc.errors.map((e) => ({
    range: { start: clamp(e.pos[0]), end: clamp(Math.max(e.pos[0], e.pos[1])) },
    message: e.message.split('\n')[0] ?? e.message,
  }));
  // Kubernetes resolves YAML merge keys (`<<`) and this engine does not: silence, not a misread.
  // The fast path gives up on merge keys: a document it made has none.
  const merge = errors.length === 0 && !fastFacts(doc) ? mergeKeyOf(doc) : undefined;
  if (merge) {
    errors.push({ range: merge, message: 'merge key (<<)' });
    return { index, doc, ok: false, range, objects: [], errors, unsupported: 'uses a YAML merge key (<<), which Drainguard does not resolve' };
  }
  const ok = errors.length === 0;
  return { index, doc, ok, range, objects: ok ? objectsOf(doc) : [], errors };
}

/** The Kubernetes objects in a parsed document: the root map, or the items of a List. */
export function objectsOf(doc: Document.Parsed): K8sObject[] {
  const root = deref(doc, doc.contents);
  if (!isMap(root)) return [];
  const top = toObject(doc, root);
  const kind = top.kind;
  if (kind !== undefined && (kind === 'List' || kind.endsWith('List'))) {
    const items = mapsOf(doc, seqAt(doc, root, 'items'));
    if (items.length > 0 || pairOf(root, 'items')) return items.map((m) => toObject(doc, m));
  }
  return [top];
}

function toObject(doc: Document.Parsed, node: YAMLMap): K8sObject {
  const metadata = mapAt(doc, node, 'metadata');
  const r = node.range;
  return {
    doc,
    node,
    kind: stringAt(doc, node, 'kind'),
    apiVersion: stringAt(doc, node, 'apiVersion'),
    name: stringAt(doc, metadata, 'name'),
    namespace: stringAt(doc, metadata, 'namespace'),
    metadata,
    labels: mapAt(doc, metadata, 'labels'),
    annotations: mapAt(doc, metadata, 'annotations'),
    range: { start: r?.[0] ?? 0, end: r?.[2] ?? 0 },
  };
}
