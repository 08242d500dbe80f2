/**
 * The server's open documents. They behave as `vscode-languageserver-textdocument`'s (offsets,
 * positions, line offsets, CRLF handling; `test/unit/text-document.test.ts` runs both on the
 * same random edits), but keep their text in chunks and make the whole string only when asked.
 *
 * The package makes every version's text as one new string. For a string of more than 128 KB
 * V8 maps fresh memory, and the page faults of a 2 MB file cost about 7 ms on the two-core VMs
 * we measure on: most of an edit's latency in a large file (docs/performance.md). Here an edit
 * replaces one chunk of about 16 KB; the document also keeps the edits since they were last
 * taken (`takeEdits`), in offsets, which the engine applies to its own state of the file
 * (`editOpenFile`) without the whole text either.
 */
import type { TextDocumentContentChangeEvent, TextDocumentsConfiguration } from 'vscode-languageserver';
import type { Position, Range, TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from '../engine/incremental';

/** Chunks are cut to about this many characters (and re-cut past twice as many). */
const CHUNK = 16 * 1024;
/** The edits kept for `takeEdits` stop being kept past this many characters of inserted text: making the text is cheaper then. */
const MAX_PENDING = 1 << 20;

/** The last content generation given out (`ChunkedTextDocument.generation`). */
let generations = 0;

const CR = 13;
const LF = 10;

export class ChunkedTextDocument implements TextDocument {
  private chunks: string[];
  /** Where each chunk starts. */
  private starts: number[];
  private total: number;
  private flat: string | undefined;
  private lineOffsets: number[] | undefined;
  private currentVersion: number;
  /**
   * What this version of the content is known by (a client may send the same version number
   * twice): new for every update, and unique across documents, so that a document closed and
   * opened again never matches what was kept for the one before.
   */
  private gen = ++generations;
  /** The edits from content `from` to the current one; `from` -1 after a change that replaced the whole text. */
  private pending: { from: number; edits: TextEdit[]; size: number } = { from: this.gen, edits: [], size: 0 };

  constructor(
    readonly uri: string,
    readonly languageId: string,
    version: number,
    content: string,
  ) {
    this.currentVersion = version;
    this.chunks = cut(content);
    this.starts = [];
    this.total = 0;
    this.reindex();
    this.flat = content;
  }

  get version(): number {
    return this.currentVersion;
  }

  /** The content's generation: bumped by every update. */
  get generation(): number {
    return this.gen;
  }

  get length(): number {
    return this.total;
  }

  get lineCount(): number {
    return this.getLineOffsets().length;
  }

  getText(range?: Range): string {
    if (range) return this.slice(this.offsetAt(range.start), this.offsetAt(range.end));
    return (this.flat ??= this.chunks.join(''));
  }

  /**
   * The edits that make the current content of generation `from`'s, in order, each in the
   * offsets of the text it applies to; undefined when they are not known (a whole-text change,
   * or too many since). Either way the edits are taken: the next call starts from here.
   */
  takeEdits(from: number): TextEdit[] | undefined {
    const p = this.pending;
    this.pending = { from: this.gen, edits: [], size: 0 };
    return p.from === from && p.from >= 0 ? p.edits : undefined;
  }

  update(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    this.gen = ++generations;
    for (const change of changes) {
      if (isIncremental(change)) {
        const range = wellFormed(change.range);
        const startOffset = this.offsetAt(range.start);
        const endOffset = this.offsetAt(range.end);
        this.replace(startOffset, endOffset, change.text);
        const insertedEnd = startOffset + change.text.length;
        const crlfAtStart = this.charCodeAt(startOffset - 1) === CR && this.charCodeAt(startOffset) === LF;
        const crlfAtEnd = this.charCodeAt(insertedEnd - 1) === CR && this.charCodeAt(insertedEnd) === LF;
        if (crlfAtStart || crlfAtEnd || this.lineOffsets === undefined) {
          this.lineOffsets = undefined;
          continue;
        }
        const startLine = Math.max(range.start.line, 0);
        const endLine = Math.max(range.end.line, 0);
        let lineOffsets = this.lineOffsets;
        const added = computeLineOffsets(change.text, false, startOffset);
        if (endLine - startLine === added.length) {
          for (let i = 0; i < added.length; i++) lineOffsets[i + startLine + 1] = added[i]!;
        } else if (added.length < 10000) {
          lineOffsets.splice(startLine + 1, endLine - startLine, ...added);
        } else {
          this.lineOffsets = lineOffsets = lineOffsets.slice(0, startLine + 1).concat(added, lineOffsets.slice(endLine + 1));
        }
        const diff = change.text.length - (endOffset - startOffset);
        if (diff !== 0) for (let i = startLine + 1 + added.length; i < lineOffsets.length; i++) lineOffsets[i] = lineOffsets[i]! + diff;
      } else if (isFull(change)) {
        this.chunks = cut(change.text);
        this.reindex();
        this.flat = change.text;
        this.lineOffsets = undefined;
        this.pending = { from: -1, edits: [], size: 0 };
      } else {
        throw new Error('Unknown change event received');
      }
    }
    this.currentVersion = version;
  }

  positionAt(offset: number): Position {
    offset = Math.max(Math.min(offset, this.total), 0);
    const lineOffsets = this.getLineOffsets();
    let low = 0;
    let high = lineOffsets.length;
    if (high === 0) return { line: 0, character: offset };
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (lineOffsets[mid]! > offset) high = mid;
      else low = mid + 1;
    }
    const line = low - 1;
    offset = this.beforeEol(offset, lineOffsets[line]!);
    return { line, character: offset - lineOffsets[line]! };
  }

  offsetAt(position: Position): number {
    const lineOffsets = this.getLineOffsets();
    if (position.line >= lineOffsets.length) return this.total;
    if (position.line < 0) return 0;
    const lineOffset = lineOffsets[position.line]!;
    if (position.character <= 0) return lineOffset;
    const next = position.line + 1 < lineOffsets.length ? lineOffsets[position.line + 1]! : this.total;
    return this.beforeEol(Math.min(lineOffset + position.character, next), lineOffset);
  }

  getLineRange(line: number): Range {
    const lineOffsets = this.getLineOffsets();
    if (line >= lineOffsets.length) {
      const last = lineOffsets.length - 1;
      return { start: { line: last, character: 0 }, end: { line: last, character: this.total - lineOffsets[last]! } };
    }
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const start = lineOffsets[line]!;
    const next = line + 1 < lineOffsets.length ? lineOffsets[line + 1]! : this.total;
    return { start: { line, character: 0 }, end: { line, character: this.beforeEol(next, start) - start } };
  }

  getEOLCharacters(line: number): string {
    const lineOffsets = this.getLineOffsets();
    if (line >= lineOffsets.length || line < 0) return '';
    const next = line + 1 < lineOffsets.length ? lineOffsets[line + 1]! : this.total;
    return this.slice(this.beforeEol(next, lineOffsets[line]!), next);
  }

  /** The character code at `offset` (NaN outside the text), without making the whole text. */
  charCodeAt(offset: number): number {
    if (offset < 0 || offset >= this.total) return NaN;
    if (this.flat !== undefined) return this.flat.charCodeAt(offset);
    const i = this.chunkAt(offset);
    return this.chunks[i]!.charCodeAt(offset - this.starts[i]!);
  }

  /** `[start, end)` of the text, without making the whole text. */
  private slice(start: number, end: number): string {
    if (this.flat !== undefined) return this.flat.substring(start, end);
    start = Math.max(0, Math.min(start, this.total));
    end = Math.max(start, Math.min(end, this.total));
    if (start === end) return '';
    const i = this.chunkAt(start);
    const j = this.chunkAt(end - 1);
    let s = '';
    for (let k = i; k <= j; k++) s += this.chunks[k]!;
    return s.slice(start - this.starts[i]!, end - this.starts[i]!);
  }

  /** Replace `[start, end)` with `text` in the chunks that hold it, and keep the edit for `takeEdits`. */
  private replace(start: number, end: number, text: string): void {
    const p = this.pending;
    if (p.from >= 0) {
      p.edits.push({ start, end, text });
      p.size += text.length;
      if (p.size > MAX_PENDING) this.pending = { from: -1, edits: [], size: 0 };
    }
    this.flat = undefined;
    if (this.chunks.length === 0) {
      this.chunks = cut(text);
      this.reindex();
      return;
    }
    const i = this.chunkAt(start);
    const j = this.chunkAt(Math.max(start, end - 1));
    const first = this.chunks[i]!;
    const last = this.chunks[j]!;
    const joined = first.slice(0, start - this.starts[i]!) + text + last.slice(end - this.starts[j]!);
    const replacement = joined.length > 2 * CHUNK ? cut(joined) : joined.length > 0 ? [joined] : [];
    this.chunks.splice(i, j - i + 1, ...replacement);
    this.reindex();
  }

  /** The chunk holding `offset` (the last one for the end of the text). */
  private chunkAt(offset: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private reindex(): void {
    const starts = new Array<number>(this.chunks.length);
    let at = 0;
    for (let k = 0; k < this.chunks.length; k++) {
      starts[k] = at;
      at += this.chunks[k]!.length;
    }
    this.starts = starts;
    this.total = at;
  }

  private getLineOffsets(): number[] {
    if (this.lineOffsets) return this.lineOffsets;
    // Line feeds only (the common case): counted, then written into an array of that length, by
    // native searches (a loop over every character, or pushing 60,000 offsets, cost 10 ms).
    let lines = 1;
    for (const c of this.chunks) {
      if (c.indexOf('\r') >= 0) {
        lines = -1;
        break;
      }
      for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) lines++;
    }
    if (lines > 0) {
      const offsets = new Array<number>(lines);
      offsets[0] = 0;
      let n = 1;
      for (let k = 0; k < this.chunks.length; k++) {
        const c = this.chunks[k]!;
        const base = this.starts[k]! + 1;
        for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) offsets[n++] = base + i;
      }
      return (this.lineOffsets = offsets);
    }
    const offsets = [0];
    for (let k = 0; k < this.chunks.length; k++) {
      const c = this.chunks[k]!;
      const base = this.starts[k]!;
      for (let i = 0; i < c.length; i++) {
        const ch = c.charCodeAt(i);
        if (ch === LF) offsets.push(base + i + 1);
        else if (ch === CR) {
          // "\r\n" ends one line, even across two chunks.
          if (this.charCodeAt(base + i + 1) === LF) continue;
          offsets.push(base + i + 1);
        }
      }
    }
    return (this.lineOffsets = offsets);
  }

  private beforeEol(offset: number, lineOffset: number): number {
    while (offset > lineOffset && isEol(this.charCodeAt(offset - 1))) offset--;
    return offset;
  }
}

/** What `new TextDocuments(...)` needs to keep `ChunkedTextDocument`s. */
export const CHUNKED_TEXT_DOCUMENTS: TextDocumentsConfiguration<ChunkedTextDocument> = {
  create: (uri, languageId, version, content) => new ChunkedTextDocument(uri, languageId, version, content),
  update: (document, changes, version) => {
    document.update(changes, version);
    return document;
  },
};

/** A text as chunks of about CHUNK characters (slices of it: no copy). */
function cut(text: string): string[] {
  if (text.length === 0) return [];
  if (text.length <= 2 * CHUNK) return [text];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) out.push(text.slice(i, i + CHUNK));
  return out;
}

function isIncremental(e: TextDocumentContentChangeEvent): e is { range: Range; rangeLength?: number; text: string } {
  const c = e as { range?: Range; rangeLength?: number; text?: unknown };
  return typeof c.text === 'string' && c.range !== undefined && (c.rangeLength === undefined || typeof c.rangeLength === 'number');
}

function isFull(e: TextDocumentContentChangeEvent): e is { text: string } {
  const c = e as { range?: Range; rangeLength?: number; text?: unknown };
  return typeof c.text === 'string' && c.range === undefined && c.rangeLength === undefined;
}

function wellFormed(range: Range): Range {
  const { start, end } = range;
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) return { start: end, end: start };
  return range;
}

function isEol(c: number): boolean {
  return c === CR || c === LF;
}

function computeLineOffsets(text: string, atLineStart: boolean, textOffset = 0): number[] {
  const result = atLineStart ? [textOffset] : [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (isEol(ch)) {
      if (ch === CR && i + 1 < text.length && text.charCodeAt(i + 1) === LF) i++;
      result.push(textOffset + i + 1);
    }
  }
  return result;
}
