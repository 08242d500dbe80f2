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
