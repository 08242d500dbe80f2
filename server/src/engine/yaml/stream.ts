/**
 * A YAML stream as a list of documents that can be parsed one at a time. YAML ends a document
 * at every `---` or `...` line (at column 0, followed by a blank or the line's end), whatever
 * the document holds: the `yaml` package's lexer stops block scalars, quoted scalars and flow
 * collections there too. So a file splits into documents by its lines alone, and a document
 * parsed on its own, with the parser's offset set to where it stands, gives the same nodes,
 * ranges and errors as a parse of the whole file (`test/prescan.test.ts` checks this on the
 * corpus). Directives (`%YAML`, `%TAG`) would carry across a boundary: files with any are not
 * split.
 */
import { Composer, Parser, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { addDuplicateKeyErrors, parseOptions, wantsUniqueKeys } from './unique-keys';
import { composeWithinLimit } from './depth';
import { fastFacts, fastOptions, fastParseDocument, type Holes } from './fast-parse';

/** One document's stretch of the file: `[start, end)`, from its `---` line (or the file start) to the next. */
export interface DocumentSlice {
  start: number;
  end: number;
}

export type StreamParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * The documents of a file, split at `---` lines (a slice starts there) and `...` lines (a slice
 * ends after one). Undefined when the file has directives, which apply across a boundary: then
 * the whole file must be parsed as one stream.
 */
export function splitDocuments(text: string): DocumentSlice[] | undefined {
  if (text.startsWith('%') || text.includes('\n%')) return undefined;
  const cuts: number[] = [0];
  // Native substring search finds the few marker lines far faster than a line-anchored regex.
  let dash = isMarker(text, 0, '---') ? 0 : nextMarker(text, 0, '\n---');
  let dots = isMarker(text, 0, '...') ? 0 : nextMarker(text, 0, '\n...');
  while (dash >= 0 || dots >= 0) {
    if (dots < 0 || (dash >= 0 && dash < dots)) {
      if (dash > 0) cuts.push(dash);
      dash = nextMarker(text, dash + 1, '\n---');
    } else {
      const nl = text.indexOf('\n', dots);
      cuts.push(nl < 0 ? text.length : nl + 1);
      dots = nextMarker(text, dots + 1, '\n...');
    }
  }
  cuts.push(text.length);
  const out: DocumentSlice[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i]!;
    const end = cuts[i + 1]!;
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** The line start of the next `needle` (a newline and a marker) at or after `from` that is a real marker, or -1. */
function nextMarker(text: string, from: number, needle: '\n---' | '\n...'): number {
  for (let i = text.indexOf(needle, Math.max(0, from - 1)); i >= 0; i = text.indexOf(needle, i + 1)) {
    if (isMarker(text, i + 1, needle === '\n---' ? '---' : '...')) return i + 1;
  }
  return -1;
}

/** Whether a slice holds a document: YAML makes one of a `---` line or any content, none of comments alone. `atFileStart` as for `classifyDocument`. */
export function holdsDocument(text: string, s: DocumentSlice, atFileStart = s.start === 0): boolean {
  let i = s.start;
  if (atFileStart && text.charCodeAt(i) === 0xfeff) i++;
  if (isMarker(text, i, '---')) return true;
  while (i < s.end) {
    const le = lineEnd(text, i, s.end);
    const j = skipBlanks(text, i, le);
    if (j < le && text.charCodeAt(j) !== 35 /* # */ && !isMarker(text, i, '...')) return true;
    i = le + 1;
  }
  return false;
}

/**
 * Parse the documents of `source`, which stands at `offset` in its file: node ranges, errors and
 * source tokens come out in the file's offsets, as in a parse of the whole file. Never throws.
 */
export function parseDocumentsAt(source: string, offset: number, options: StreamParseOptions, holes?: Holes): Document.Parsed[] {
  if (fastOptions(options)) {
    const doc = fastParseDocument(source, offset, holes);
    if (doc) {
      if (wantsUniqueKeys(options) && fastFacts(doc)!.repeats) addDuplicateKeyErrors(doc);
      return [doc];
    }
  }
  if (holes && holes.length > 0) source = blankOut(source, holes);
  return withoutStackTraces(() => {
    const parser = new Parser();
    // The parser counts every token's offset from here (yaml's public `Parser.offset`).
    parser.offset = offset;
    const composer = new Composer(parseOptions(options));
    // Documents nested too deep are left out (yaml/depth.ts): composing them could abort the process.
    const docs = composeWithinLimit(parser.parse(source), composer);
    if (wantsUniqueKeys(options)) for (const d of docs) addDuplicateKeyErrors(d);
    return docs;
  }, []);
}

/**
 * `source` with each hole (`[start, end)`, from a line start to after a line break) replaced by a
 * comment of the same length at the hole's own indentation: every later offset stays where it was.
 */
export function blankOut(source: string, holes: Holes): string {
  const parts: string[] = [];
  let at = 0;
  for (const [a, b] of holes) {
    parts.push(source.slice(at, a));
    const nl = source.charCodeAt(b - 1) === 10;
    // The characters before the line break; the comment keeps the first line's indentation where there is room for its `#`.
    const body = b - a - (nl ? 1 : 0);
    let indent = 0;
    while (indent < body - 1 && source.charCodeAt(a + indent) === 32) indent++;
    parts.push((body > 0 ? ' '.repeat(indent) + '#' + ' '.repeat(body - indent - 1) : '') + (nl ? '\n' : ''));
    at = b;
  }
  parts.push(source.slice(at));
  return parts.join('');
}

/**
 * Run a parse with stack traces off. The `yaml` package reports each syntax error as an Error
 * object, and capturing its stack is most of the cost of a broken document (Helm templates have
 * dozens): the engine keeps only the message and position. The limit is restored before return.
 */
export function withoutStackTraces<T>(parse: () => T, onThrow: T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parse();
  } catch {
    return onThrow;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The slice of `text` that holds `offset`, as `splitDocuments` cuts it, found from the lines
 * around it: the cost of one document, not of the file.
 */
export function sliceAround(text: string, offset: number): DocumentSlice {
  // The end of the text belongs to the last slice.
  const o = Math.max(0, Math.min(offset, text.length - 1));
  // The `---` lines around: the searches stop at the first marker line on each side.
  let start = 0;
  for (let i = text.lastIndexOf('\n---', o - 1); i >= 0; i = i > 0 ? text.lastIndexOf('\n---', i - 1) : -1) {
    if (i + 1 <= o && isMarker(text, i + 1, '---')) {
      start = i + 1;
      break;
    }
  }
  let end = text.length;
  for (let i = text.indexOf('\n---', o); i >= 0; i = text.indexOf('\n---', i + 1)) {
    if (isMarker(text, i + 1, '---')) {
      end = i + 1;
      break;
    }
  }
  // A `...` line between them ends a slice after it; look for them in that stretch only.
  const base = start;
  const region = text.slice(base, end);
  let cut = region.startsWith('...') ? 0 : region.indexOf('\n...');
  while (cut >= 0) {
    const line = cut === 0 && region.startsWith('...') ? 0 : cut + 1;
    if (isMarker(region, line, '...')) {
      const nl = region.indexOf('\n', line);
      const after = base + (nl < 0 ? region.length : nl + 1);
      if (after <= o) start = after;
      else {
        end = after;
        break;
      }
    }
    cut = region.indexOf('\n...', line + 1);
  }
  return { start, end: Math.max(end, start) };
}

/**
 * The document(s) of `text` around `offset`, parsed alone: what a check that re-parses an
 * edited file needs, at the cost of one document instead of the whole file. Directives before
 * the document are not applied: the callers read back quoted and block scalars, whose strings
 * no directive changes.
 */
export function parseDocumentsAround(text: string, offset: number, options: StreamParseOptions): Document.Parsed[] {
  const s = sliceAround(text, offset);
  return parseDocumentsAt(text.slice(s.start, s.end), s.start, options);
}

/**
 * The document(s) around `offset` after `edit`, parsed alone, with the offsets of the edited
 * file, without building the edited file (see `parseDocumentsAround` on directives).
 */
export function parseEditedDocument(text: string, edit: { start: number; end: number; newText: string }, offset: number, options: StreamParseOptions): Document.Parsed[] {
  const s = sliceAround(text, offset);
  if (edit.start < s.start || edit.end > s.end) {
    const next = text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
    return parseDocumentsAround(next, offset < edit.start ? offset : offset + edit.newText.length - (edit.end - edit.start), options);
  }
  return parseDocumentsAt(text.slice(s.start, edit.start) + edit.newText + text.slice(edit.end, s.end), s.start, options);
}

/** The end of the line at `i` (its `\n`), or `to`. */
export function lineEnd(text: string, i: number, to: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 || nl > to ? to : nl;
}

/** The first offset in `[i, le)` that is not a space, tab, carriage return or byte-order mark. */
export function skipBlanks(text: string, i: number, le: number): number {
  while (i < le) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) break;
    i++;
  }
  return i;
}

/** Whether a `---` or `...` document marker starts at `i` (it must be at a line start to count). */
export function isMarker(text: string, i: number, marker: '---' | '...'): boolean {
  if (!text.startsWith(marker, i)) return false;
  const c = text.charCodeAt(i + 3);
  return Number.isNaN(c) || c === 32 || c === 9 || c === 13 || c === 10;
}
