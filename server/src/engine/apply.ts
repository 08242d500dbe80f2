/**
 * Applying text edits to a text: used by `--fix`, by tests and by the fix-safety checks.
 * Edits are applied from the end backwards; an edit that overlaps one already applied is
 * skipped (and reported) rather than corrupting the text.
 */
import type { Finding, TextEdit } from './types';

export interface ApplyResult {
  text: string;
  applied: number;
  skipped: number;
}

/** Apply edits to `text` (edits for other files are ignored). */
export function applyEdits(text: string, edits: readonly TextEdit[], uri?: string): ApplyResult {
  const own = edits.filter((e) => e.uri === undefined || e.uri === uri);
  const sorted = own
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.start - a.e.start || b.e.end - a.e.end || b.i - a.i)
    .map((x) => x.e);
  let out = text;
  let applied = 0;
  let skipped = 0;
  let floor = Infinity;
  for (const e of sorted) {
    if (e.start < 0 || e.end < e.start || e.end > text.length || e.end > floor) {
      skipped++;
      continue;
    }
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
    floor = e.start;
    applied++;
  }
  return { text: out, applied, skipped };
}

/**
 * The preferred fixes of a set of findings, as one edit list with no two fixes overlapping:
 * when two fixes touch the same text, the first one (in file order) wins and the other
 * waits for the next pass.
 */
export function preferredEdits(findings: readonly Finding[], uri?: string): TextEdit[] {
  const chosen: TextEdit[] = [];
  const taken: { start: number; end: number }[] = [];
  for (const f of findings) {
    const fix = f.fixes.find((x) => x.preferred);
    if (!fix) continue;
    const own = fix.edits.filter((e) => e.uri === undefined || e.uri === uri);
    if (own.length !== fix.edits.length) continue;
    const clash = own.some((e) => taken.some((t) => e.start <= t.end && t.start <= e.end));
    if (clash) continue;
    for (const e of own) {
      chosen.push(e);
      taken.push({ start: e.start, end: e.end });
    }
  }
  return chosen;
}

/** Offsets where YAML documents start (after `---` lines at column 0): fixes are grouped by document. */
function documentStarts(text: string): number[] {
  const starts = [0];
  const re = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index);
  return starts;
}

function documentOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What `fixAll` needs to know about a text: its findings and how many YAML errors it has. */
export interface FixCheck {
  findings: readonly Finding[];
  yamlErrors: number;
}

/**
 * Apply every finding's preferred fix to one file, safely. Each pass applies at most one fix
 * per YAML document (two fixes on one pod template can each be fine and clash together, e.g.
 * one renames the map the other inserts into), then re-analyses. A pass that adds YAML errors
 * or an error finding the text did not have is undone and its first fix is skipped from then
 * on. Fixes for other files are never applied here. Stops when nothing changes.
 */
export function fixAll(text: string, uri: string, analyze: (text: string) => FixCheck, maxPasses = 50): { text: string; applied: number } {
  let cur = text;
  let check = analyze(cur);
  let applied = 0;
  const skipped = new Set<string>();
  const key = (f: Finding): string => `${f.ruleId}|${f.message}`;
  for (let pass = 0; pass < maxPasses; pass++) {
    const starts = documentStarts(cur);
    const perDoc = new Map<number, Finding>();
    for (const f of check.findings) {
      const fix = f.fixes.find((x) => x.preferred);
      if (!fix || skipped.has(key(f)) || fix.edits.some((e) => e.uri !== undefined && e.uri !== uri)) continue;
      const d = documentOf(starts, f.range.start);
      if (!perDoc.has(d)) perDoc.set(d, f);
    }
    if (perDoc.size === 0) break;
    const chosen = [...perDoc.values()];
    const tryApply = (fs: Finding[]): { text: string; check: FixCheck } | undefined => {
      const next = applyEdits(cur, fs.flatMap((f) => f.fixes.find((x) => x.preferred)!.edits), uri);
      if (next.skipped > 0 || next.text === cur) return undefined;
      const c = analyze(next.text);
      const errorsBefore = new Set(check.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId));
      const worse = c.yamlErrors > check.yamlErrors || c.findings.some((f) => f.severity === 'error' && !errorsBefore.has(f.ruleId));
      return worse ? undefined : { text: next.text, check: c };
    };
    let ok = tryApply(chosen);
    if (ok) applied += chosen.length;
    else {
      // Find the culprit: apply the first alone; skip it if even that is not safe.
      ok = tryApply([chosen[0]!]);
      if (ok) applied++;
      else {
        skipped.add(key(chosen[0]!));
        continue;
      }
    }
    cur = ok.text;
    check = ok.check;
  }
  return { text: cur, applied };
}

/** One edit that turns `before` into `after` (their common prefix and suffix kept). */
export function diffEdit(before: string, after: string): TextEdit | undefined {
  if (before === after) return undefined;
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { start: p, end: before.length - s, newText: after.slice(p, after.length - s) };
}
