/**
 * The reliability invariants, shared by the fuzzer (scripts/fuzz.ts) and the property tests:
 *
 * - `checkResult`: what must hold for any input whatsoever: no internal error, every range
 *   (finding, related value, note, fix edit) inside the text, every fix applies cleanly on its
 *   own, the preferred fixes together apply cleanly.
 * - `checkFix`: what must hold for every fix of every finding (fix safety): no new YAML error,
 *   the finding is gone, no new error finding, other documents byte-identical, every comment
 *   line survives, line endings and indentation style kept.
 *
 * Both return violations (never throw), so a caller can report all of them with the input.
 */
import { Composer, Parser } from 'yaml';
import type { FileResult } from '../../server/src/engine/analyze';
import { applyEdits, preferredEdits } from '../../server/src/engine/apply';
import type { Finding, Fix, Range, TextEdit } from '../../server/src/engine/types';
import { composeWithinLimit } from '../../server/src/engine/yaml/depth';
import { addDuplicateKeyErrors } from '../../server/src/engine/yaml/unique-keys';

export interface Violation {
  invariant: string;
  detail: string;
}

function inside(r: Range | undefined, len: number): boolean {
  return r !== undefined && Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end <= len;
}

/** Edits of `fix` that apply to the file `uri` (the others are cross-file edits). */
export function ownEdits(fix: Fix, uri: string): TextEdit[] {
  return fix.edits.filter((e) => e.uri === undefined || e.uri === uri);
}

/** The invariants that hold for any input, whatever it is. */
export function checkResult(result: FileResult): Violation[] {
  const out: Violation[] = [];
  const { text, uri } = result;
  const len = text.length;
  for (const n of result.notes) {
    if (n.message.startsWith('internal error')) out.push({ invariant: 'no internal error', detail: n.message });
    if (n.range && !inside(n.range, len)) out.push({ invariant: 'note range inside the text', detail: `${JSON.stringify(n.range)} ${n.message}` });
  }
  for (const f of result.findings) {
    const what = `${f.ruleId} at ${f.range.start}`;
    if (!inside(f.range, len)) out.push({ invariant: 'finding range inside the text', detail: `${what}: ${JSON.stringify(f.range)} of ${len}` });
    for (const r of f.related) if (!r.uri || r.uri === uri) if (!inside(r.range, len)) out.push({ invariant: 'related range inside the text', detail: `${what}: ${JSON.stringify(r.range)} ${r.message}` });
    if (f.fixes.filter((x) => x.preferred).length > 1) out.push({ invariant: 'at most one preferred fix', detail: what });
    for (const fix of f.fixes) {
      const own = ownEdits(fix, uri);
      for (const e of own) if (!inside(e, len) || typeof e.newText !== 'string') out.push({ invariant: 'fix edit inside the text', detail: `${what} "${fix.title}": ${JSON.stringify({ start: e.start, end: e.end })}` });
      const sorted = [...own].sort((a, b) => a.start - b.start || a.end - b.end);
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1]!;
        const b = sorted[i]!;
        if (b.start < a.end || (b.start === a.end && a.start === a.end && b.start === b.end)) out.push({ invariant: 'edits of one fix do not overlap', detail: `${what} "${fix.title}"` });
      }
      if (own.length === 0 && fix.edits.length === 0) out.push({ invariant: 'a fix has edits', detail: `${what} "${fix.title}"` });
      const skipped = skippedEdits(text, fix.edits, uri);
      if (skipped > 0) out.push({ invariant: 'every fix applies cleanly', detail: `${what} "${fix.title}": ${skipped} edit(s) skipped` });
    }
  }
  const all = skippedEdits(text, preferredEdits(result.findings, uri), uri);
  if (all > 0) out.push({ invariant: 'the preferred fixes apply together', detail: `${all} edit(s) skipped` });
  return out;
}

/**
 * How many edits `applyEdits` would skip (out of range or overlapping), without building the
 * text: a 1 MB file with 2,500 fixes would otherwise copy gigabytes. `checkFix` applies for real.
 */
export function skippedEdits(text: string, edits: readonly TextEdit[], uri?: string): number {
  if (text.length < 64 * 1024) return applyEdits(text, edits, uri).skipped;
  const own = edits
    .filter((e) => e.uri === undefined || e.uri === uri)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.start - a.e.start || b.e.end - a.e.end || b.i - a.i)
    .map((x) => x.e);
  let skipped = 0;
  let floor = Infinity;
  for (const e of own) {
    if (e.start < 0 || e.end < e.start || e.end > text.length || e.end > floor) skipped++;
    else floor = e.start;
  }
  return skipped;
}

/** A document's stretch of the text: from its start to the next document's start. */
interface Span {
  start: number;
  end: number;
  errors: number;
}

/** The documents of a text as spans, with their YAML error counts. */
export function documentSpans(text: string): Span[] {
  // As kubectl reads a stream: split at the document marker lines, each piece parsed on its own
  // (an unclosed quote in one document does not swallow the next, found by the fuzzer, seed
  // 4242). With a directive (`%YAML`), which applies across documents, the stream is parsed whole.
  if (/^%/m.test(text)) return spansOf(text, 0, text.length);
  const cuts = [0];
  for (const m of text.matchAll(/^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm)) {
    if (m[0] === '---') cuts.push(m.index!);
    else {
      const nl = text.indexOf('\n', m.index!);
      cuts.push(nl < 0 ? text.length : nl + 1);
    }
  }
  cuts.push(text.length);
  const out: Span[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) out.push(...spansOf(text, cuts[i]!, cuts[i + 1]!));
  return out;
}

/** The documents of `text[from, to)`, as spans of the whole text. */
function spansOf(text: string, from: number, to: number): Span[] {
  const piece = text.slice(from, to);
  // Duplicate keys count as errors, checked in linear time (the yaml package's own check is quadratic).
  // Composed as the engine composes (yaml/depth.ts): a too-deep document must not abort this process either.
  const list = composeWithinLimit(new Parser().parse(piece), new Composer({ prettyErrors: false, uniqueKeys: false }));
  for (const d of list) addDuplicateKeyErrors(d);
  if (list.length === 0) return [];
  return list.map((d, i) => ({ start: from + (i === 0 ? 0 : (d.range?.[0] ?? 0)), end: from + (i + 1 < list.length ? (list[i + 1]!.range?.[0] ?? piece.length) : piece.length), errors: d.errors.length }));
}

/** Whether a document's text (after a `---` line, comments and blank lines) is JSON. */
function isJson(doc: string): boolean {
  const body = doc.replace(/^(?:[ \t]*(?:#[^\n]*)?\r?\n|---[^\n]*\n)*/, '');
  if (!/^\s*[{[]/.test(body)) return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Where an offset of the old text lands after the edits (sorted, non-overlapping). */
function mapOffset(edits: readonly TextEdit[], offset: number, side: 'start' | 'end'): number {
  let delta = 0;
  for (const e of edits) {
    const d = e.newText.length - (e.end - e.start);
    if (e.end < offset) {
      delta += d;
      continue;
    }
    if (e.end === offset) {
      // A replacement that ends here, or an insertion before a range's start, shifts the offset;
      // an insertion at a range's end lands after it.
      if (e.start < e.end || side === 'start') {
        delta += d;
        continue;
      }
      break;
    }
    if (e.start < offset) return side === 'start' ? e.start + delta : e.start + delta + e.newText.length;
    break;
  }
  return offset + delta;
}

function lineBreaks(text: string): { crlf: number; lf: number; cr: number } {
  let crlf = 0;
  let lf = 0;
  let cr = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    } else if (c === 10) lf++;
  }
  return { crlf, lf, cr };
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/**
 * The lines of a text that hold only a YAML comment (as the YAML lexer sees it: a `#` line in a
 * block scalar is the scalar's content, not a comment of the file).
 */
export function commentLines(text: string): string[] {
  const starts: number[] = [];
  const walk = (o: unknown, depth: number): void => {
    if (!o || typeof o !== 'object' || depth > 200) return;
    const t = o as { type?: unknown; offset?: unknown };
    if (t.type === 'comment' && typeof t.offset === 'number') starts.push(t.offset);
    for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v, depth + 1);
  };
  try {
    for (const tok of new Parser().parse(text)) walk(tok, 0);
  } catch {
    // Too deep or odd for the lexer: no comment lines to keep.
  }
  const out: string[] = [];
  for (const o of starts) {
    let ls = o;
    while (ls > 0 && text[ls - 1] !== '\n' && text[ls - 1] !== '\r') ls--;
    if (text.slice(ls, o).trim() !== '') continue;
    let le = o;
    while (le < text.length && text[le] !== '\n' && text[le] !== '\r') le++;
    out.push(text.slice(ls, le));
  }
  return out;
}

/**
 * A line's leading spaces and sequence indicators: `    - - key: v` gives indent 4 and content
 * column 8 (a loop, not a regular expression: a 10,000-deep `- - - …` line must stay cheap).
 */
function dashPrefix(line: string): { indent: number; content: number; dashes: number } {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  const indent = i;
  let dashes = 0;
  while (line.charCodeAt(i) === 45 && (line.charCodeAt(i + 1) === 32 || i + 1 === line.length)) {
    dashes++;
    i++;
    while (line.charCodeAt(i) === 32) i++;
  }
  return { indent, content: i, dashes };
}

function indentOf(line: string): number {
  return /^ */.exec(line)![0].length;
}

/** Indentations and indentation steps a text uses (over its content lines). */
function indentStyle(text: string): { indents: Set<number>; steps: Set<number> } {
  const indents = new Set<number>([0]);
  const steps = new Set<number>();
  const stack: number[] = [];
  for (const line of splitLines(text)) {
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    const n = indentOf(line);
    indents.add(n);
    // Sequence entries: the content after "- " is indented too.
    const dash = dashPrefix(line);
    if (dash.dashes > 0) indents.add(dash.content);
    while (stack.length > 0 && stack[stack.length - 1]! >= n) stack.pop();
    if (stack.length > 0) steps.add(n - stack[stack.length - 1]!);
    stack.push(n);
    if (dash.dashes > 0) {
      steps.add(dash.content - n);
      stack.push(dash.content);
    }
  }
  if (steps.size === 0) steps.add(2);
  return { indents, steps };
}

/** Count `key:` lines followed by a block sequence, by style, where the sequence's first line is new. */
function seqStyle(lines: readonly { line: string; isNew: boolean }[]): { indented: number; compact: number } {
  let indented = 0;
  let compact = 0;
  const content = lines.filter((l) => l.line.trim() !== '' && !/^\s*#/.test(l.line));
  for (let i = 0; i + 1 < content.length; i++) {
    const line = content[i]!.line;
    const p = dashPrefix(line);
    const rest = line.slice(p.content).replace(/[ \t]+#.*$/, '').trimEnd();
    if (!rest.endsWith(':') || /^[#"'{}[\]]/.test(rest) || /[{}[\]"']/.test(rest)) continue;
    const next = content[i + 1]!;
    const d = dashPrefix(next.line);
    if (d.dashes === 0 || !next.isNew) continue;
    const keyCol = p.content;
    const dashCol = d.indent;
    if (dashCol > keyCol) indented++;
    else if (dashCol === keyCol) compact++;
  }
  return { indented, compact };
}

/** Where the new text of each edit (sorted, non-overlapping) lands in the fixed text. */
function insertedRanges(edits: readonly TextEdit[]): [number, number][] {
  const out: [number, number][] = [];
  let delta = 0;
  for (const e of edits) {
    const start = e.start + delta;
    if (e.newText.length > 0) out.push([start, start + e.newText.length]);
    delta += e.newText.length - (e.end - e.start);
  }
  return out;
}

function countLines(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
}

export interface FixCheckInput {
  uri: string;
  before: FileResult;
  finding: Finding;
  fix: Fix;
  /** Analyse another text of the same file, with the same settings and context. */
  analyze: (text: string) => FileResult;
}

/** The fix-safety properties of one fix of one finding. Returns the fixed text too. */
export function checkFix(input: FixCheckInput): { violations: Violation[]; text: string } {
  const { uri, before, finding, fix } = input;
  const text = before.text;
  const out: Violation[] = [];
  const what = `${finding.ruleId} at ${finding.range.start}, fix "${fix.title}"`;
  const own = ownEdits(fix, uri).sort((a, b) => a.start - b.start || a.end - b.end);
  const applied = applyEdits(text, own, uri);
  if (applied.skipped > 0) {
    out.push({ invariant: 'every fix applies cleanly', detail: what });
    return { violations: out, text: applied.text };
  }
  const after = applied.text;
  if (after === text) out.push({ invariant: 'a fix changes the text', detail: what });

  // Documents: the same number; the untouched ones byte-identical; no new YAML error in the touched ones.
  const spans = documentSpans(text);
  const touches = (e: TextEdit, s: Span): boolean =>
    e.start === e.end ? (e.start >= s.start && e.start < s.end) || (e.start === s.end && s.end === text.length) : e.start < s.end && e.end > s.start;
  const touched = spans.filter((s) => own.some((e) => touches(e, s)));
  const findingSpan = spans.find((s) => finding.range.start >= s.start && finding.range.start < Math.max(s.end, s.start + 1));
  for (const s of touched) if (findingSpan && s !== findingSpan) out.push({ invariant: 'a fix edits only its finding\'s document', detail: `${what}: edits the document at ${s.start}` });
  const afterSpans = documentSpans(after);
  if (afterSpans.length !== spans.length) out.push({ invariant: 'a fix keeps the number of documents', detail: `${what}: ${spans.length} -> ${afterSpans.length}` });
  else {
    spans.forEach((s, i) => {
      const a = afterSpans[i]!;
      if (touched.includes(s)) {
        if (a.errors > s.errors) out.push({ invariant: 'no new YAML error', detail: `${what}: document ${i + 1} has ${a.errors} error(s), had ${s.errors}` });
        // kubectl reads a document that starts with `{` as JSON: a JSON document must stay JSON.
        if (isJson(text.slice(s.start, s.end)) && !isJson(after.slice(a.start, a.end))) out.push({ invariant: 'a JSON document stays JSON', detail: `${what}: document ${i + 1} is no longer valid JSON` });
      } else if (after.slice(a.start, a.end) !== text.slice(s.start, s.end)) {
        out.push({ invariant: 'other documents are byte-identical', detail: `${what}: document ${i + 1} changed` });
      }
    });
  }

  // The finding is gone, and no error finding is new.
  const res = input.analyze(after);
  for (const n of res.notes) if (n.message.startsWith('internal error')) out.push({ invariant: 'no internal error after a fix', detail: n.message });
  const mStart = mapOffset(own, finding.range.start, 'start');
  const mEnd = mapOffset(own, finding.range.end, 'end');
  const overlapsEdit = own.some((e) => finding.range.start <= e.end && e.start <= finding.range.end);
  const still = res.findings.filter((f) => f.ruleId === finding.ruleId && (overlapsEdit ? f.range.start <= mEnd && mStart <= f.range.end : f.range.start === mStart && f.range.end === mEnd));
  if (still.length > 0) out.push({ invariant: 'the finding is gone', detail: `${what}: still reported at ${still[0]!.range.start} (${still[0]!.message})` });
  const errorsBy = (fs: readonly Finding[]) => {
    const m = new Map<string, number>();
    for (const f of fs) if (f.severity === 'error') m.set(f.ruleId, (m.get(f.ruleId) ?? 0) + 1);
    return m;
  };
  const eb = errorsBy(before.findings);
  for (const [id, n] of errorsBy(res.findings)) if (n > (eb.get(id) ?? 0)) out.push({ invariant: 'no new error finding', detail: `${what}: ${id} ${eb.get(id) ?? 0} -> ${n}` });

  // Comment lines, line endings, indentation.
  const afterCount = countLines(splitLines(after));
  const comments = countLines(commentLines(text));
  for (const [line, n] of comments) if ((afterCount.get(line) ?? 0) < n) out.push({ invariant: 'every comment line survives', detail: `${what}: ${JSON.stringify(line)}` });
  const lb = lineBreaks(text);
  const la = lineBreaks(after);
  for (const k of ['crlf', 'lf', 'cr'] as const) if (lb[k] === 0 && la[k] > 0) out.push({ invariant: 'line endings are kept', detail: `${what}: adds ${k} line breaks to a file without any` });
  for (const e of own) if (/(^|\r\n|\n|\r)\t/.test(e.newText)) out.push({ invariant: 'indentation style is kept', detail: `${what}: inserts a tab indentation` });
  const scope = findingSpan ? text.slice(findingSpan.start, findingSpan.end) : text;
  const style = indentStyle(scope);
  const allowed = new Set(style.indents);
  const marked: { line: string; isNew: boolean }[] = [];
  // New lines are the lines of the fixed text that hold inserted text, found by the edits'
  // positions. (Counting equal lines over the whole file took a new line for an old one when a
  // line like it stood in another document, and then its new children looked mis-indented.)
  const inserted = insertedRanges(own);
  let ls = 0;
  for (const line of splitLines(after)) {
    const le = ls + line.length;
    const isNew = line.trim() !== '' && inserted.some(([a, b]) => a < le && b > ls);
    ls = le + (after.startsWith('\r\n', le) ? 2 : 1);
    marked.push({ line, isNew });
    if (!isNew) continue;
    const n = indentOf(line);
    const ok = allowed.has(n) || [...allowed].some((i) => style.steps.has(n - i));
    if (!ok) out.push({ invariant: 'indentation style is kept', detail: `${what}: new line ${JSON.stringify(line)} indented ${n} (document uses ${[...style.indents].sort((a, b) => a - b).join(',')} / steps ${[...style.steps].join(',')})` });
    allowed.add(n);
    const dash = dashPrefix(line);
    if (dash.dashes > 0) allowed.add(dash.content);
  }
  // Block sequences under a key: indented (`key:` then `  - a`) or not (`- a` under `key:`).
  const seqOld = seqStyle(splitLines(scope).map((line) => ({ line, isNew: true })));
  const seqNew = seqStyle(marked);
  if (seqOld.indented === 0 && seqOld.compact > 0 && seqNew.indented > 0) out.push({ invariant: 'indentation style is kept', detail: `${what}: adds an indented sequence to a document that writes them flush with their key` });
  if (seqOld.compact === 0 && seqOld.indented > 0 && seqNew.compact > 0) out.push({ invariant: 'indentation style is kept', detail: `${what}: adds a sequence flush with its key to a document that indents them` });
  return { violations: out, text: after };
}
