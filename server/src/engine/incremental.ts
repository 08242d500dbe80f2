/**
 * The analysis of an open document, kept from one version to the next so that an edit costs
 * what the edited document costs, not what the file costs. The language server calls it; it is
 * pure: the state is plain data the caller passes back, and nothing here does I/O.
 *
 * A file is a list of document slices (`yaml/stream.ts`), each with what `model/prescan.ts`
 * decided about it (skip, parse, parse part). Per slice a record keeps its analysis (findings
 * before suppressions, notes) and, for the slices that contribute to the file's context
 * (Namespaces, mesh sources, ProxyConfigs), its parse. On a new version the text is compared
 * with the previous one: the slices before and after the changed stretch keep their records,
 * the others are classified and parsed anew. Then only the records whose inputs changed are
 * analysed again: their own text, the settings, the workspace's contributions, or the file's
 * own contributions. The findings of the others are moved by the distance their slice moved.
 *
 * The language server gives edits rather than texts (`editOpenFile`): then the slices around the
 * edit are split and classified from the records' own texts, the whole text is made only when
 * something asks for it, and a slice whose analysis needs a text is analysed in a text of its
 * own, at an offset clear of the contributors' (`analysisText`). An edit deep inside a skipped
 * document does not even make that document's text (`deepEdit`).
 *
 * Offsets in a kept analysis are those of the text it was made on. Every analysis of one run
 * is made on one text (contributors that moved are re-parsed first), so each offset lies in
 * exactly one slice of that text, and is mapped through that slice's move: its own, or a
 * contributor's. Line numbers in messages ("line 22") are written as markers and resolved on
 * the current text, so inserting a line above a document does not make its messages stale.
 */
import {
  analyzeDocument,
  analyzeText,
  contextOf,
  describeSource,
  internalErrorMessage,
  mergeContexts,
  parseErrorMessage,
  type FileResult,
} from './analyze';
import { parsedDocumentOf, type ParsedDocument } from './model/documents';
import { analyzePod, contributeToContext, emptyContext, type AnalysisContext, type PodAnalysis } from './model/effective';
import { podTemplatesOf } from './model/pod-template';
import { classifyDocument, parseSlice, type Decision } from './model/prescan';
import { RULES } from './rules/registry';
import type { Rule } from './rules/rule';
import type { Settings } from './settings';
import { applySuppressions, commentSuppressions } from './suppress';
import { LineIndex } from './text';
import type { Finding, Note, Range, ValueSource } from './types';
import { holdsDocument, isMarker, splitDocuments } from './yaml/stream';
import { MAX_DOCUMENTS, MAX_TEXT_LENGTH } from './limits';

/**
 * An open document and what is kept of its analysis. Treat as opaque; pass it back to
 * `updateOpenFile` or `editOpenFile`. A state made by `editOpenFile` builds `text` only when
 * it is read: the analysis of an edit does not need it (see `editOpenFile`).
 */
export interface OpenFile {
  readonly uri: string;
  readonly text: string;
  /** What this file contributes to the analysis of the others (for the workspace index). Same object while unchanged. */
  readonly own: AnalysisContext;
  /** @internal */
  readonly state: FileState;
}

interface FileState {
  /** Files that cannot be split (directives, marker characters in the text) are analysed whole. */
  whole: boolean;
  /** Bumped with every version; each record carries the epoch of the last state that placed it. */
  epoch: number;
  records: SliceRecord[];
  contributors: SliceRecord[];
  /** Bumped when the file's own contributions change in content (not when they only move). */
  ownVersion: number;
  /** A state made by `editOpenFile`: its records' texts in order (the text is their join), and the join once made. */
  parts?: (string | PendingText)[];
  flat?: string;
  cache?: {
    settings: Settings;
    base: AnalysisContext;
    rules: readonly Rule[];
    own: AnalysisContext;
    ctx: AnalysisContext;
    result?: FileResult;
  };
}

/**
 * A skipped slice's text after edits `editOpenFile` made without it (`deepEdit`): the text they
 * were made on and the edits, in order, each on one line; the text itself once made.
 */
interface PendingText {
  base: string;
  edits: readonly TextEdit[];
  flat?: string;
}

/** The most edits a slice's text waits for before they are applied. */
const MAX_PENDING_EDITS = 256;

class SliceRecord {
  /** Where the slice is in the current text, and the (0-based) line it starts on. */
  start: number;
  end: number;
  line: number;
  /** The slice's text, or the edits it waits for. */
  src: string | PendingText;
  /** Whether the slice has (or may have) a `drainguard-disable-next-line` comment. */
  hasComments: boolean;
  epoch = 0;
  decision: Decision;
  /** Documents the slice holds. */
  docCount = 0;
  /** Kept for contributors (always in the current text's offsets), and for others until analysed. */
  parse?: SliceParse;
  output?: SliceOutput;
  rendered?: { key: number[]; findings: Finding[]; suppressions: Suppression[] };

  constructor(text: string, start: number, line: number, decision: Decision) {
    this.src = text;
    this.start = start;
    this.end = start + text.length;
    this.line = line;
    this.decision = decision;
    this.hasComments = text.includes(DISABLE_COMMENT);
  }

  /** The slice's text (made, if edits wait for it). */
  get text(): string {
    return textOf(this.src);
  }

  set text(text: string) {
    this.src = text;
  }
}

/** A slice source's text. The edits are applied to a list of pieces of the text, and the pieces joined once. */
function textOf(src: string | PendingText): string {
  if (typeof src === 'string') return src;
  if (src.flat === undefined) {
    const pieces: { s: string; from: number; to: number }[] = [{ s: src.base, from: 0, to: src.base.length }];
    for (const e of src.edits) {
      const out: typeof pieces = [];
      let at = 0;
      let placed = false;
      for (const p of pieces) {
        const len = p.to - p.from;
        // The parts of this piece before the edit's start and after its end stay.
        if (at < e.start) out.push({ s: p.s, from: p.from, to: p.from + Math.min(len, e.start - at) });
        if (!placed && at + len >= e.start) {
          out.push({ s: e.text, from: 0, to: e.text.length });
          placed = true;
        }
        if (at + len > e.end) out.push({ s: p.s, from: p.from + Math.max(0, e.end - at), to: p.to });
        at += len;
      }
      if (!placed) out.push({ s: e.text, from: 0, to: e.text.length });
      pieces.length = 0;
      for (const p of out) if (p.to > p.from) pieces.push(p);
    }
    let t = '';
    for (const p of pieces) t += p.s.slice(p.from, p.to);
    // One flat copy (a character read flattens it), so later reads do not flatten it again.
    t.charCodeAt(0);
    src.flat = t;
  }
  return src.flat;
}

interface SliceParse {
  /** The slice's start when parsed; `text` is the file's text then. */
  at: number;
  text: string;
  /** Each with its index within the slice. */
  documents: ParsedDocument[];
  contributions?: AnalysisContext;
}

interface AnalysisKey {
  settings: Settings;
  base: AnalysisContext;
  rules: readonly Rule[];
  ownVersion: number;
}

interface SliceOutput {
  key: AnalysisKey;
  /** The slice's start and length in the text the analysis was made on. */
  at: number;
  len: number;
  /** The contributors of that text, where they were: offsets outside the slice map through them. */
  refs: { record: SliceRecord; at: number; len: number }[];
  /** Findings before suppressions, detached from the parse (plain data), messages with line markers. */
  findings: Finding[];
  suppressions: Suppression[];
  notes: NoteTemplate[];
  /** Some offset lies in a contributor's slice. */
  usesRefs: boolean;
  hasMarkers: boolean;
}

interface Suppression {
  range: Range;
  ids: string[];
}

type NoteTemplate = { doc: number; kind: 'parse'; range?: Range; message?: string; unsupported?: string } | { doc: number; kind: 'internal'; rule: string; error: string };

const DISABLE_COMMENT = 'drainguard-disable-next-line';
const MARK = '\uE000';
const MARK_END = '\uE001';
const MARKED = /\uE000(\d+)\uE001/g;
const NO_LINES = new LineIndex('');

/**
 * The state for a new version of a document's text (`prev`: the state of the previous version,
 * if any). Parses what changed; the analysis itself waits for `analyzeOpenFile`.
 */
export function updateOpenFile(prev: OpenFile | undefined, uri: string, text: string): OpenFile {
  if (prev && prev.uri === uri && prev.text === text) return prev;
  const slices = text.includes(MARK) ? undefined : splitDocuments(text);
  if (!slices) {
    const own = contextOf(uri, text);
    return { uri, text, own, state: { whole: true, epoch: (prev?.state.epoch ?? 0) + 1, records: [], contributors: [], ownVersion: (prev?.state.ownVersion ?? 0) + 1 } };
  }
  // Records are shared with (and moved by) the next state: a state that is not the latest is not built on.
  const current = (f: OpenFile): boolean => f.state.records.every((r) => r.epoch === f.state.epoch);
  const old = prev && prev.uri === uri && !prev.state.whole && current(prev) ? prev : undefined;
  const epoch = (prev?.state.epoch ?? 0) + 1;
  const oldState = old?.state;
  const oldLen = old?.text.length ?? 0;
  // What stayed: the longest common prefix and suffix of the two texts.
  const p = old ? commonPrefix(old.text, text) : 0;
  const q = old ? commonSuffix(old.text, text, p) : 0;
  const delta = text.length - oldLen;
  // Lines move by the line breaks the changed stretch gained or lost.
  const lineDelta = old ? countLines(text, p, text.length - q) - countLines(old.text, p, oldLen - q) : 0;
  const byStart = new Map<number, SliceRecord>();
  for (const r of oldState?.records ?? []) byStart.set(r.start, r);
  const records: SliceRecord[] = [];
  // A new contributor changes the file's contributions; one that only moved changes their offsets.
  let fresh = false;
  let moved = false;
  let last: SliceRecord | undefined;
  for (const s of slices) {
    let rec: SliceRecord | undefined;
    if (s.end <= p) {
      const r = byStart.get(s.start);
      if (r && r.end === s.end) rec = r;
    } else if (s.start >= text.length - q) {
      const r = byStart.get(s.start - delta);
      if (r && r.end === s.end - delta) {
        rec = r;
        rec.line += lineDelta;
      }
    }
    if (!rec) {
      rec = newRecord(uri, text, s.start, s.end, last ? last.line + countLines(text, last.start, s.start) : 0);
      if (rec.parse?.contributions) fresh = true;
    } else {
      // The same text, as a slice of this version's (a kept record must not keep an old version alive).
      rec.text = text.slice(s.start, s.end);
      if (rec.start !== s.start) {
        // Moved: a contributor is parsed again where it is now (every analysis is made on one text); others drop their parse.
        rec.start = s.start;
        rec.end = s.end;
        if (rec.parse?.contributions) {
          rec.parse = parseRecord(uri, text, rec);
          moved = true;
        } else rec.parse = undefined;
      }
    }
    rec.epoch = epoch;
    records.push(rec);
    last = rec;
  }
  const contributors = records.filter((r) => r.parse?.contributions);
  const before = oldState?.contributors ?? [];
  const sameSet = contributors.length === before.length && contributors.every((c, i) => c === before[i]);
  const ownVersion = (oldState?.ownVersion ?? 0) + (sameSet && !fresh ? 0 : 1);
  const own = old && sameSet && !fresh && !moved ? old.own : mergeContexts(contributors.map((c) => c.parse!.contributions!));
  const cache = oldState?.cache && oldState.cache.own === own ? { ...oldState.cache, result: undefined } : undefined;
  return { uri, text, own, state: { whole: false, epoch, records, contributors, ownVersion, cache } };
}

/** One change of a text: `[start, end)` of the previous version replaced by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * The state for the version that `edit` makes of `prev`'s text, without making that text: only
 * the documents around the edit are split, classified and (when analysed) parsed, from their own
 * texts. A new 2 MB string costs the language server about 7 ms on the machines we measure on
 * (fresh pages for every version: docs/performance.md), several times the rest of an edit.
 * Undefined when the edit touches what the file contributes to its context (a mesh source, a
 * Namespace, a ProxyConfig), moves such a document, or needs the whole file (directives, near
 * the size limits, a state analysed whole or not the latest): then the caller makes the text
 * and calls `updateOpenFile` (with `prev`), which gives the same result.
 */
export function editOpenFile(prev: OpenFile, edit: TextEdit): OpenFile | undefined {
  const st = prev.state;
  const records = st.records;
  const last = records[records.length - 1];
  if (st.whole || !last || !records.every((r) => r.epoch === st.epoch)) return undefined;
  const length = last.end;
  if (!(edit.start >= 0 && edit.start <= edit.end && edit.end <= length) || edit.text.includes(MARK)) return undefined;
  const delta = edit.text.length - (edit.end - edit.start);
  // The limits of limits.ts, which the caller checks on the text: a file of fewer slices than half
  // the document limit has fewer marker lines than the limit (a cut is made by at most two).
  if (length + delta > MAX_TEXT_LENGTH || records.length >= MAX_DOCUMENTS / 2 - 1) return undefined;
  const deep = deepEdit(st, edit, delta);
  if (deep) return stateAfter(prev, deep);
  // The records whose lines the edit touches: from the one holding the start of the edit's first line to the one holding its end.
  let lo = recordAt(records, edit.start);
  const r0 = records[lo]!;
  const lineStart = edit.start === r0.start ? r0.start : r0.start + r0.text.lastIndexOf('\n', edit.start - r0.start - 1) + 1;
  lo = recordAt(records, lineStart);
  let hi = recordAt(records, edit.end);
  // Widen until the region starts and ends where the file is cut into slices, before and after the edit.
  let region: string;
  for (;;) {
    const from = records[lo]!.start;
    let old = '';
    for (let k = lo; k <= hi; k++) old += records[k]!.text;
    region = old.slice(0, edit.start - from) + edit.text + old.slice(edit.end - from);
    const cutBefore = lo === 0 || isMarker(region, 0, '---') || endsWithDots(records[lo - 1]!.src);
    const cutAfter = hi === records.length - 1 || isMarker(lineAt(records[hi + 1]!.src, 0).text, 0, '---') || endsWithDots(region);
    if (cutBefore && cutAfter) break;
    if (!cutBefore) lo--;
    if (!cutAfter) hi++;
  }
  // Directives apply across documents: a file with any is analysed whole.
  if (region.startsWith('%') || region.includes('\n%')) return undefined;
  const from = records[lo]!.start;
  const slices = splitDocuments(region) ?? [];
  // What the file contributes must not change, nor move (contributors are parsed where they are).
  for (let k = lo; k <= hi; k++) if (records[k]!.parse?.contributions) return undefined;
  if (delta !== 0) for (let k = hi + 1; k < records.length; k++) if (records[k]!.parse?.contributions) return undefined;
  const fresh: SliceRecord[] = [];
  let line = records[lo]!.line;
  for (const sl of slices) {
    const rec = sliceRecord(region.slice(sl.start, sl.end), from + sl.start, line);
    // A document that may contribute is a contributor only if it does contribute (most are other ConfigMaps, or a document half typed).
    if (rec.decision.kind !== 'skip' && rec.decision.contributes && contributes(prev.uri, st, rec)) return undefined;
    fresh.push(rec);
    line += countLines(rec.text, 0, rec.text.length);
  }
  if (records.length - (hi - lo + 1) + fresh.length >= MAX_DOCUMENTS / 2 - 1) return undefined;
  const lineDelta = line - records[lo]!.line - linesIn(records, lo, hi);
  const next: SliceRecord[] = records.slice(0, lo);
  next.push(...fresh);
  for (let k = hi + 1; k < records.length; k++) {
    const r = records[k]!;
    if (delta !== 0) {
      r.start += delta;
      r.end += delta;
      r.parse = undefined;
    }
    r.line += lineDelta;
    next.push(r);
  }
  return stateAfter(prev, next);
}

/** The state of `prev`'s file with these records (`prev`'s, moved and edited), whose contributors have not changed. */
function stateAfter(prev: OpenFile, records: SliceRecord[]): OpenFile {
  const st = prev.state;
  const epoch = st.epoch + 1;
  for (const r of records) r.epoch = epoch;
  const cache = st.cache ? { ...st.cache, result: undefined } : undefined;
  const state: FileState = { whole: false, epoch, records, contributors: st.contributors, ownVersion: st.ownVersion, cache, parts: records.map((r) => r.src) };
  return {
    uri: prev.uri,
    get text(): string {
      return (state.flat ??= state.parts!.map(textOf).join(''));
    },
    own: prev.own,
    state,
  };
}

/**
 * The records after an edit inside one line of a skipped slice, deeper than anything its
 * decision read (`Decision` `depth`) and past the line's first two characters, that neither
 * adds nor removes a line break: the decision stands, and the slice's text is left to be made
 * when something needs it (a large CRD's 1.4 MB would cost milliseconds per keystroke).
 * Undefined when the edit is not such an edit.
 */
function deepEdit(st: FileState, edit: TextEdit, delta: number): SliceRecord[] | undefined {
  const records = st.records;
  const k = recordAt(records, edit.start);
  const r = records[k]!;
  const depth = r.decision.kind === 'skip' ? r.decision.depth : undefined;
  if (depth === undefined || edit.end > r.end || /[\r\n]/.test(edit.text)) return undefined;
  const at = edit.start - r.start;
  const line = lineAt(r.src, at);
  // Within the line (its `\r` included), and not on the slice's first line (a marker line, or what follows a `...` line).
  if (line.start === 0 || edit.end - r.start > line.start + line.text.length || line.text.slice(0, edit.end - r.start - line.start).includes('\r')) return undefined;
  let indent = 0;
  while (line.text.charCodeAt(indent) === 32) indent++;
  // The outline finds a line's content past tabs, carriage returns and byte-order marks too (skipBlanks): the content must start right after the spaces.
  const first = line.text.charCodeAt(indent);
  if (indent <= depth || indent >= line.text.length || first === 9 || first === 13 || first === 0xfeff || at < line.start + indent + 2) return undefined;
  // A contributor after it would move: contributors are parsed where they are (editOpenFile).
  if (delta !== 0) for (let i = k + 1; i < records.length; i++) if (records[i]!.parse?.contributions) return undefined;
  const rel: TextEdit = { start: at, end: edit.end - r.start, text: edit.text };
  const src = r.src;
  const pending: PendingText = typeof src === 'string' ? { base: src, edits: [rel] } : { base: src.base, edits: [...src.edits, rel] };
  r.src = pending.edits.length > MAX_PENDING_EDITS ? textOf(pending) : pending;
  r.end += delta;
  r.hasComments ||= (line.text.slice(0, rel.start - line.start) + edit.text + line.text.slice(rel.end - line.start)).includes(DISABLE_COMMENT);
  const next = records.slice();
  for (let i = k + 1; i < next.length; i++) {
    const x = next[i]!;
    x.start += delta;
    x.end += delta;
    if (delta !== 0) x.parse = undefined;
  }
  return next;
}

/**
 * The line of a slice's text that holds offset `o`: where it starts, and its text (without its
 * `\n`). Without making the text of a slice with edits waiting: their lines are where the text
 * they were made on has them (none adds or removes a line break), so the line is found there and
 * the edits that fall in it are applied to it alone.
 */
function lineAt(src: string | PendingText, o: number): { start: number; text: string } {
  if (typeof src === 'string' || src.flat !== undefined) {
    const t = textOf(src);
    const start = o > 0 ? t.lastIndexOf('\n', o - 1) + 1 : 0;
    const nl = t.indexOf('\n', o);
    return { start, text: t.slice(start, nl < 0 ? t.length : nl) };
  }
  // Back to the text the edits were made on: an offset inside an inserted text goes to where it went in.
  let b = o;
  for (let i = src.edits.length - 1; i >= 0; i--) {
    const e = src.edits[i]!;
    if (b >= e.start + e.text.length) b -= e.text.length - (e.end - e.start);
    else if (b > e.start) b = e.start;
  }
  const base = src.base;
  let start = b > 0 ? base.lastIndexOf('\n', b - 1) + 1 : 0;
  const nl = base.indexOf('\n', b);
  let text = base.slice(start, nl < 0 ? base.length : nl);
  for (const e of src.edits) {
    if (e.end < start) start += e.text.length - (e.end - e.start);
    else if (e.start <= start + text.length) text = text.slice(0, e.start - start) + e.text + text.slice(e.end - start);
  }
  return { start, text };
}

/** Whether a new record, parsed where `analyzeRecord` would parse it, contributes to the context. */
function contributes(uri: string, st: FileState, rec: SliceRecord): boolean {
  const at = virtualStart(st, rec);
  const text = (at > 0 ? ' '.repeat(at - 1) + '\n' : '') + rec.text;
  const ctx = emptyContext();
  for (const d of parseSlice(text, { start: at, end: at + rec.text.length }, rec.decision)) for (const o of parsedDocumentOf(d, 0, text).objects) contributeToContext(uri, text, o, ctx);
  return ctx.namespaces.size > 0 || ctx.mesh.length > 0 || ctx.proxyConfigs.length > 0;
}

/** Whether the state's text has been made (for tests: `editOpenFile` should not make it). */
export function textIsBuilt(file: OpenFile): boolean {
  return file.state.parts === undefined || file.state.flat !== undefined;
}

/** The index of the record holding offset `o` (the end of the text: the last record). */
function recordAt(records: readonly SliceRecord[], o: number): number {
  let lo = 0;
  let hi = records.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (records[mid]!.start <= o) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Line breaks in the texts of records `lo..hi`. */
function linesIn(records: readonly SliceRecord[], lo: number, hi: number): number {
  let n = 0;
  for (let k = lo; k <= hi; k++) n += countLines(records[k]!.text, 0, records[k]!.text.length);
  return n;
}

/** Whether a slice's last line is a `...` marker (the file is cut after it). */
function endsWithDots(src: string | PendingText): boolean {
  const length = lengthOf(src);
  return length > 0 && isMarker(lineAt(src, length - 1).text, 0, '...');
}

/** A slice source's length, without making its text. */
function lengthOf(src: string | PendingText): number {
  if (typeof src === 'string') return src.length;
  if (src.flat !== undefined) return src.flat.length;
  let n = src.base.length;
  for (const e of src.edits) n += e.text.length - (e.end - e.start);
  return n;
}

/** The findings and notes of the current version, against the workspace's contributions (`base`). */
export function analyzeOpenFile(file: OpenFile, settings: Settings, base: AnalysisContext, rules: readonly Rule[] = RULES): FileResult {
  const st = file.state;
  const c = st.cache;
  if (c && c.result && c.settings === settings && c.base === base && c.rules === rules) return c.result;
  if (st.whole) {
    const result = analyzeText(file.uri, file.text, settings, rules, base, { parse: 'relevant' });
    st.cache = { settings, base, rules, own: file.own, ctx: base, result };
    return result;
  }
  const ctx = c && c.base === base && c.own === file.own ? c.ctx : mergeContexts([base, file.own]);
  const key: AnalysisKey = { settings, base, rules, ownVersion: st.ownVersion };
  for (const rec of st.records) {
    if (rec.decision.kind === 'skip') continue;
    const o = rec.output?.key;
    if (o && o.settings === settings && o.base === base && o.rules === rules && o.ownVersion === key.ownVersion) continue;
    analyzeRecord(file, rec, ctx, key);
  }
  const result = assemble(file, settings);
  st.cache = { settings, base, rules, own: file.own, ctx, result };
  return result;
}

/**
 * The result with the pods of the document at `offset` analysed afresh (`pods` and
 * `parsed.documents` hold that document only): what a hover needs. The analysis itself keeps
 * no pods, which would hold every parse in memory.
 */
export function openFileResultAt(file: OpenFile, offset: number, settings: Settings, base: AnalysisContext, rules: readonly Rule[] = RULES): FileResult {
  const result = analyzeOpenFile(file, settings, base, rules);
  const st = file.state;
  if (st.whole) return result;
  const rec = st.records.find((r) => offset >= r.start && offset < r.end) ?? st.records[st.records.length - 1];
  if (!rec || rec.decision.kind === 'skip') return result;
  const parse = rec.parse && rec.parse.at === rec.start ? rec.parse : parseRecord(file.uri, file.text, rec);
  const ctx = st.cache!.ctx;
  const pods: PodAnalysis[] = [];
  const documents = parse.documents.filter((d) => d.ok);
  for (const d of documents) for (const t of d.objects.flatMap(podTemplatesOf)) pods.push(analyzePod(file.uri, file.text, t, settings, ctx));
  return { ...result, pods, parsed: { uri: file.uri, text: file.text, documents } };
}

function newRecord(uri: string, text: string, start: number, end: number, line: number): SliceRecord {
  const rec = sliceRecord(text.slice(start, end), start, line);
  // A document that cannot contribute is parsed when it is analysed, and its parse dropped at once.
  if (rec.decision.kind !== 'skip' && rec.decision.contributes) rec.parse = parseRecord(uri, text, rec);
  return rec;
}

/** A record for a slice with this text, at `start`, classified on its own text; not parsed. */
function sliceRecord(text: string, start: number, line: number): SliceRecord {
  const rec = new SliceRecord(text, start, line, classifyDocument(text, 0, text.length, start === 0));
  const { decision } = rec;
  if (decision.kind === 'skip') rec.docCount = holdsDocument(text, { start: 0, end: text.length }, start === 0) ? 1 : 0;
  return rec;
}

function parseRecord(uri: string, text: string, rec: SliceRecord): SliceParse {
  const docs = parseSlice(text, { start: rec.start, end: rec.end }, rec.decision);
  const documents = docs.map((d, i) => parsedDocumentOf(d, i, text));
  rec.docCount = documents.length;
  const ctx = emptyContext();
  for (const d of documents) for (const o of d.objects) contributeToContext(uri, text, o, ctx);
  const contributes = ctx.namespaces.size > 0 || ctx.mesh.length > 0 || ctx.proxyConfigs.length > 0;
  return { at: rec.start, text, documents, contributions: contributes ? ctx : undefined };
}

function analyzeRecord(file: OpenFile, rec: SliceRecord, ctx: AnalysisContext, key: AnalysisKey): void {
  const { uri } = file;
  let parse: SliceParse;
  let text: string;
  if (rec.parse && rec.parse.at === rec.start) {
    // A parse at the slice's current place is valid with the text it was made on, whichever version that was.
    parse = rec.parse;
    text = textIsBuilt(file) ? file.text : parse.text;
  } else if (textIsBuilt(file)) {
    text = file.text;
    parse = rec.parse = parseRecord(uri, text, rec);
  } else {
    // The text of this version is not made (editOpenFile): the slice is analysed in a text of its own (`analysisText`).
    const at = virtualStart(file.state, rec);
    text = analysisText(file.state, rec, at);
    const documents = parseSlice(text, { start: at, end: at + rec.text.length }, rec.decision).map((d, i) => parsedDocumentOf(d, i, text));
    rec.docCount = documents.length;
    parse = { at, text, documents };
  }
  const own = (o: number): boolean => o >= parse.at && o <= parse.at + rec.text.length;
  let lines: LineIndex | undefined;
  // Same-file sources become markers, resolved on whatever text the findings are shown with.
  const where = (s: ValueSource): string => (s.kind === 'file' && s.uri === uri ? `line ${MARK}${s.range.start}${MARK_END}` : describeSource(s, uri, NO_LINES));
  const lineOf = (o: number): number =>
    // Outside the slice: a contributor's offset, which is where it is now (contributors are parsed where they are).
    own(o) ? rec.line + countLines(rec.text, 0, o - parse.at) + 1 : (lines ??= new LineIndex(file.text)).positionAt(o).line + 1;
  const findings: Finding[] = [];
  const suppressions: Suppression[] = [];
  const notes: NoteTemplate[] = [];
  parse.documents.forEach((document, k) => {
    if (!document.ok) {
      const e = document.errors[0];
      notes.push({ doc: k, kind: 'parse', range: e?.range, message: e?.message, unsupported: document.unsupported });
      return;
    }
    // As analyzeParsed does: the mesh sources this document's own objects contribute.
    const mesh = ctx.mesh.filter((m) => m.uri === uri && m.range.start >= document.range.start && m.range.start <= document.range.end);
    const a = analyzeDocument({ uri, text, document, settings: key.settings, context: ctx, rules: key.rules, mesh, where, lineOf });
    findings.push(...a.findings);
    for (const s of a.suppressions) suppressions.push({ range: s.range, ids: [...s.ids] });
    for (const f of a.failures) notes.push({ doc: k, kind: 'internal', rule: f.rule, error: f.error });
  });
  // Plain data, and strings of their own: a kept finding must not keep an old text or parse alive.
  const detached =
    findings.length + suppressions.length + notes.length === 0 ? { findings, suppressions, notes } : (JSON.parse(JSON.stringify({ findings, suppressions, notes })) as { findings: Finding[]; suppressions: Suppression[]; notes: NoteTemplate[] });
  const len = rec.end - rec.start;
  let usesRefs = false;
  let hasMarkers = false;
  for (const f of detached.findings) {
    if (!own(f.range.start) || !own(f.range.end)) usesRefs = true;
    for (const r of f.related) if (r.uri === undefined || r.uri === uri) usesRefs ||= !own(r.range.start) || !own(r.range.end);
    for (const x of f.fixes) for (const e of x.edits) if (e.uri === undefined || e.uri === uri) usesRefs ||= !own(e.start) || !own(e.end);
    for (const m of [f.message, ...f.related.map((r) => r.message), ...f.fixes.map((x) => x.title)]) {
      if (!m.includes(MARK)) continue;
      hasMarkers = true;
      for (const x of m.matchAll(MARKED)) usesRefs ||= !own(Number(x[1]));
    }
  }
  for (const s of detached.suppressions) usesRefs ||= !own(s.range.start) || !own(s.range.end);
  rec.output = {
    key,
    at: parse.at,
    len,
    refs: file.state.contributors.map((c) => ({ record: c, at: c.parse!.at, len: c.end - c.start })),
    ...detached,
    usesRefs,
    hasMarkers,
  };
  rec.rendered = undefined;
  if (!parse.contributions) rec.parse = undefined;
}

/**
 * Where a slice is analysed when the version's text is not made: the first offset from which
 * the slice's length keeps clear of every contributor's (their offsets stay those of the text
 * they were parsed on), so that an offset in the analysis belongs to exactly one slice.
 */
function virtualStart(st: FileState, rec: SliceRecord): number {
  const taken = st.contributors.map((c) => [c.parse!.at, c.parse!.at + (c.end - c.start)] as const).sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [a, b] of taken) {
    if (at + rec.text.length < a) break;
    at = Math.max(at, b + 1);
  }
  return at;
}

/**
 * The text a slice is analysed in when the version's text is not made: blank lines up to `at`,
 * the slice, and the next slice's first line, so that what the analysis reads around the
 * document (the line break before it, the marker line after it) is what the file has there.
 */
function analysisText(st: FileState, rec: SliceRecord, at: number): string {
  const after = st.records[st.records.indexOf(rec) + 1]?.src;
  const first = after === undefined ? undefined : lineAt(after, 0).text;
  const next = first === undefined ? '' : first.length < lengthOf(after!) ? `${first}\n` : first;
  return (at > 0 ? ' '.repeat(at - 1) + '\n' : '') + rec.text + next;
}

/** All records' findings and notes, moved to where their slices are now. */
function assemble(file: OpenFile, settings: Settings): FileResult {
  const { uri } = file;
  let findings: Finding[] = [];
  const notes: Note[] = [];
  const byRange: { range: Range; ids: Set<string> }[] = [];
  let index = 0;
  let sorted = true;
  let last = -1;
  let comments = false;
  for (const rec of file.state.records) {
    const out = rec.output;
    if (settings.inlineSuppressions) comments ||= rec.hasComments;
    // A record with nothing to show costs nothing here, wherever it moved.
    if (rec.decision.kind !== 'skip' && out && (out.findings.length > 0 || out.suppressions.length > 0 || out.notes.length > 0)) {
      const move = mover(rec, out);
      if (!rec.rendered || !sameRender(rec.rendered.key, rec, out)) {
        const before = rec.rendered;
        const key = renderKey(rec, out);
        // Moved without changing lines: the same messages (their line numbers) as before.
        const kept = before !== undefined && sameLines(before.key, key);
        const render = (s: string): string => (s.includes(MARK) ? s.replace(MARKED, (_m, o: string) => String(lineOf(rec, out, Number(o)) + 1)) : s);
        rec.rendered = {
          key,
          findings: out.findings.map((f, i) => moveFinding(f, uri, move, render, kept ? before.findings[i] : undefined)),
          suppressions: out.suppressions.map((s) => ({ range: { start: move(s.range.start), end: move(s.range.end) }, ids: s.ids })),
        };
        // Moved by whole lines' worth of offsets only: each finding shows as before (`shownAs`).
        if (kept) rec.rendered.findings.forEach((f, i) => SHOWN.set(f, shownAs(before.findings[i]!)));
      }
      for (const f of rec.rendered.findings) {
        if (f.range.start < last) sorted = false;
        last = f.range.start;
        findings.push(f);
      }
      for (const s of rec.rendered.suppressions) byRange.push({ range: s.range, ids: new Set(s.ids) });
      for (const n of out.notes) notes.push(noteOf(n, index, move, (o) => lineOf(rec, out, o)));
    }
    index += rec.docCount;
  }
  // Lines come from the records (each knows its first line): the whole text is read (and, after editOpenFile, made) only for comment suppressions.
  const lines = comments ? new LineIndex(file.text) : NO_LINES;
  const byLine = comments ? commentSuppressions(file.text, lines) : new Map<number, Set<string>>();
  // Without comment suppressions no line is looked up: the annotation ones go by range.
  if (byLine.size > 0 || byRange.length > 0) findings = applySuppressions(findings, byLine, byRange, lines);
  if (!sorted) findings = [...findings].sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  else findings = sortTies(findings);
  return {
    uri,
    get text(): string {
      return file.text;
    },
    findings,
    notes,
    pods: [],
    parsed: {
      uri,
      get text(): string {
        return file.text;
      },
      documents: [],
    },
  };
}

/** Where an offset of a record's analysis is now: through its own slice's move, or the contributor's that held it. */
function mover(rec: SliceRecord, out: SliceOutput): (o: number) => number {
  const d = rec.start - out.at;
  if (!out.usesRefs) return (o) => o + d;
  return (o) => {
    if (o >= out.at && o <= out.at + out.len) return o + d;
    for (const r of out.refs) if (o >= r.at && o <= r.at + r.len) return o + (r.record.start - r.at);
    return o + d;
  };
}

/**
 * What a record's rendered findings depend on: where it (and, if it points into them, the
 * contributors) stands, in offsets and lines. The same key, the same positions: a caller may
 * keep what it derived from a finding object (an LSP diagnostic) for as long as it gets the same object.
 */
function renderKey(rec: SliceRecord, out: SliceOutput): number[] {
  const key = [rec.start, rec.line];
  if (out.usesRefs) for (const r of out.refs) key.push(r.record.start, r.record.line);
  return key;
}

/** Whether two render keys put every slice on the same lines (their offsets may differ). */
function sameLines(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 1; i < a.length; i += 2) if (a[i] !== b[i]) return false;
  return true;
}

const SHOWN = new WeakMap<Finding, Finding>();

/**
 * The first of the findings that `f` shows exactly as (or `f`): a finding of a slice that only
 * moved by offsets, its lines unchanged, has the same lines, columns and messages as the one it
 * was moved from, so what a client was sent for that one (an LSP diagnostic) can be reused.
 */
export function shownAs(f: Finding): Finding {
  return SHOWN.get(f) ?? f;
}

/** Whether `key` (a `renderKey`) is the record's key now, without making a new one. */
function sameRender(key: number[], rec: SliceRecord, out: SliceOutput): boolean {
  if (key[0] !== rec.start || key[1] !== rec.line) return false;
  if (!out.usesRefs) return key.length === 2;
  if (key.length !== 2 + 2 * out.refs.length) return false;
  for (let i = 0; i < out.refs.length; i++) if (key[2 + 2 * i] !== out.refs[i]!.record.start || key[3 + 2 * i] !== out.refs[i]!.record.line) return false;
  return true;
}

/** The 0-based line of an offset of a record's analysis, in the current text: the line of the slice that held it, plus the breaks before it there. */
function lineOf(rec: SliceRecord, out: SliceOutput, o: number): number {
  let base = rec;
  let at = out.at;
  if (out.usesRefs && !(o >= out.at && o <= out.at + out.len)) {
    const r = out.refs.find((x) => o >= x.at && o <= x.at + x.len);
    if (r) {
      base = r.record;
      at = r.at;
    }
  }
  return base.line + countLines(base.text, 0, o - at);
}

/** Line breaks in `[from, to)`: `\n`, `\r\n` and a lone `\r`. */
function countLines(text: string, from: number, to: number): number {
  // Searched in a slice of the range (no copy): a search for a character the text lacks must not run to the end of a 2 MB text.
  const start = Math.max(0, from);
  const t = start === 0 && to >= text.length ? text : text.slice(start, Math.max(start, to));
  let n = 0;
  for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) n++;
  // A lone carriage return ends a line too, as LineIndex and LSP clients count lines ("\r\n" is one break, counted at its "\n").
  for (let i = t.indexOf('\r'); i >= 0; i = t.indexOf('\r', i + 1)) if (text.charCodeAt(start + i + 1) !== 10) n++;
  return n;
}

/** `f` moved and its messages rendered; `like`: its rendering before a move that kept every line, whose messages it reuses. */
function moveFinding(f: Finding, uri: string, move: (o: number) => number, render: (s: string) => string, like?: Finding): Finding {
  const local = (u: string | undefined): boolean => u === undefined || u === uri;
  const out: Finding = {
    ruleId: f.ruleId,
    severity: f.severity,
    range: { start: move(f.range.start), end: move(f.range.end) },
    message: like ? like.message : render(f.message),
    related: f.related.map((r, i) => (local(r.uri) ? { ...r, range: { start: move(r.range.start), end: move(r.range.end) }, message: like ? like.related[i]!.message : render(r.message) } : r)),
    fixes: f.fixes.map((x, i) => ({ ...x, title: like ? like.fixes[i]!.title : render(x.title), edits: x.edits.map((e) => (local(e.uri) ? { ...e, start: move(e.start), end: move(e.end) } : e)) })),
  };
  if (f.tags) out.tags = f.tags;
  return out;
}

function noteOf(n: NoteTemplate, index: number, move: (o: number) => number, lineAt: (o: number) => number): Note {
  if (n.kind === 'internal') return { message: internalErrorMessage(n.rule, index + n.doc, n.error) };
  const range = n.range ? { start: move(n.range.start), end: move(n.range.end) } : undefined;
  return { range, message: parseErrorMessage(index + n.doc, n.range ? lineAt(n.range.start) : undefined, n.message, n.unsupported) };
}

/** Findings in slice order are sorted by start; only equal starts need their rule ids ordered. */
function sortTies(findings: Finding[]): Finding[] {
  for (let i = 1; i < findings.length; i++) {
    if (findings[i]!.range.start === findings[i - 1]!.range.start && findings[i]!.ruleId.localeCompare(findings[i - 1]!.ruleId) < 0) {
      return [...findings].sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
    }
  }
  return findings;
}

/** Length of the common prefix: native comparisons of ever smaller chunks, then characters. */
function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  for (const chunk of [65536, 2048, 64]) while (i + chunk <= n && a.substring(i, i + chunk) === b.substring(i, i + chunk)) i += chunk;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Length of the common suffix that does not overlap the common prefix. */
function commonSuffix(a: string, b: string, prefix: number): number {
  const n = Math.min(a.length, b.length) - prefix;
  const al = a.length;
  const bl = b.length;
  let i = 0;
  for (const chunk of [65536, 2048, 64]) while (i + chunk <= n && a.substring(al - i - chunk, al - i) === b.substring(bl - i - chunk, bl - i)) i += chunk;
  while (i < n && a.charCodeAt(al - 1 - i) === b.charCodeAt(bl - 1 - i)) i++;
  return i;
}
