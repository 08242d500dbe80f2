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
import { holdsDocument, splitDocuments } from './yaml/stream';

/** An open document and what is kept of its analysis. Treat as opaque; pass it back to `updateOpenFile`. */
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
  cache?: {
    settings: Settings;
    base: AnalysisContext;
    rules: readonly Rule[];
    own: AnalysisContext;
    ctx: AnalysisContext;
    result?: FileResult;
  };
}

interface SliceRecord {
  /** Where the slice is in the current text, and the (0-based) line it starts on. */
  start: number;
  end: number;
  line: number;
  epoch: number;
  decision: Decision;
  /** Documents the slice holds. */
  docCount: number;
  /** Kept for contributors (always in the current text's offsets), and for others until analysed. */
  parse?: SliceParse;
  output?: SliceOutput;
  rendered?: { key: string; findings: Finding[]; suppressions: Suppression[] };
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
    } else if (rec.start !== s.start) {
      // Moved: a contributor is parsed again where it is now (every analysis is made on one text); others drop their parse.
      rec.start = s.start;
      rec.end = s.end;
      if (rec.parse?.contributions) {
        rec.parse = parseRecord(uri, text, rec);
        moved = true;
      } else rec.parse = undefined;
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
  const decision = classifyDocument(text, start, end);
  const rec: SliceRecord = { start, end, line, epoch: 0, decision, docCount: 0 };
  if (decision.kind === 'skip') rec.docCount = holdsDocument(text, { start, end }) ? 1 : 0;
  // A document that cannot contribute is parsed when it is analysed, and its parse dropped at once.
  else if (decision.contributes) rec.parse = parseRecord(uri, text, rec);
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
  if (!rec.parse || rec.parse.at !== rec.start) rec.parse = parseRecord(uri, file.text, rec);
  const parse = rec.parse;
  // A parse at the slice's current place is valid in the current text, whichever version it was made on.
  const text = file.text;
  let lines: LineIndex | undefined;
  // Same-file sources become markers, resolved on whatever text the findings are shown with.
  const where = (s: ValueSource): string => (s.kind === 'file' && s.uri === uri ? `line ${MARK}${s.range.start}${MARK_END}` : describeSource(s, uri, NO_LINES));
  const lineOf = (o: number): number => (lines ??= new LineIndex(text)).positionAt(o).line + 1;
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
  const detached = JSON.parse(JSON.stringify({ findings, suppressions, notes })) as { findings: Finding[]; suppressions: Suppression[]; notes: NoteTemplate[] };
  const len = rec.end - rec.start;
  let usesRefs = false;
  let hasMarkers = false;
  const own = (o: number): boolean => o >= parse.at && o <= parse.at + len;
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

/** All records' findings and notes, moved to where their slices are now. */
function assemble(file: OpenFile, settings: Settings): FileResult {
  const { uri, text } = file;
  // Lines come from the records (each knows its first line): no line index of the whole text per edit.
  let lineIndex: LineIndex | undefined;
  const lines = (): LineIndex => (lineIndex ??= new LineIndex(text));
  let findings: Finding[] = [];
  const notes: Note[] = [];
  const byRange: { range: Range; ids: Set<string> }[] = [];
  let index = 0;
  let sorted = true;
  let last = -1;
  for (const rec of file.state.records) {
    const out = rec.output;
    if (rec.decision.kind !== 'skip' && out) {
      const move = mover(rec, out);
      const key = renderKey(rec, out);
      if (!rec.rendered || rec.rendered.key !== key) {
        const render = (s: string): string => (s.includes(MARK) ? s.replace(MARKED, (_m, o: string) => String(lineOf(text, rec, out, Number(o)) + 1)) : s);
        rec.rendered = {
          key,
          findings: out.findings.map((f) => moveFinding(f, uri, move, render)),
          suppressions: out.suppressions.map((s) => ({ range: { start: move(s.range.start), end: move(s.range.end) }, ids: s.ids })),
        };
      }
      for (const f of rec.rendered.findings) {
        if (f.range.start < last) sorted = false;
        last = f.range.start;
        findings.push(f);
      }
      for (const s of rec.rendered.suppressions) byRange.push({ range: s.range, ids: new Set(s.ids) });
      for (const n of out.notes) notes.push(noteOf(n, index, move, (o) => lineOf(text, rec, out, o)));
    }
    index += rec.docCount;
  }
  const byLine = settings.inlineSuppressions && text.includes('drainguard-disable-next-line') ? commentSuppressions(text, lines()) : new Map<number, Set<string>>();
  // Without comment suppressions no line is looked up: the annotation ones go by range.
  if (byLine.size > 0 || byRange.length > 0) findings = applySuppressions(findings, byLine, byRange, byLine.size > 0 ? lines() : NO_LINES);
  if (!sorted) findings = [...findings].sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  else findings = sortTies(findings);
  return { uri, text, findings, notes, pods: [], parsed: { uri, text, documents: [] } };
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
function renderKey(rec: SliceRecord, out: SliceOutput): string {
  const at = (r: SliceRecord): string => `${r.start}:${r.line}`;
  return out.usesRefs ? `${at(rec)}|${out.refs.map((r) => at(r.record)).join(',')}` : at(rec);
}

/** The 0-based line of an offset of a record's analysis, in the current text: the line of the slice that held it, plus the breaks before it there. */
function lineOf(text: string, rec: SliceRecord, out: SliceOutput, o: number): number {
  let base = rec;
  let at = out.at;
  if (out.usesRefs && !(o >= out.at && o <= out.at + out.len)) {
    const r = out.refs.find((x) => o >= x.at && o <= x.at + x.len);
    if (r) {
      base = r.record;
      at = r.at;
    }
  }
  return base.line + countLines(text, base.start, base.start + (o - at));
}

/** Line breaks in `[from, to)`. */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function moveFinding(f: Finding, uri: string, move: (o: number) => number, render: (s: string) => string): Finding {
  const local = (u: string | undefined): boolean => u === undefined || u === uri;
  const out: Finding = {
    ruleId: f.ruleId,
    severity: f.severity,
    range: { start: move(f.range.start), end: move(f.range.end) },
    message: render(f.message),
    related: f.related.map((r) => (local(r.uri) ? { ...r, range: { start: move(r.range.start), end: move(r.range.end) }, message: render(r.message) } : r)),
    fixes: f.fixes.map((x) => ({ ...x, title: render(x.title), edits: x.edits.map((e) => (local(e.uri) ? { ...e, start: move(e.start), end: move(e.end) } : e)) })),
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
