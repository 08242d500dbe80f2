/**
 * Test helpers. `check()` is the only place tests call the analysis API, so a change to that
 * API touches one file. Positions are found by matching text, not by counting columns.
 */
import * as assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { analyzeFiles, type FileResult } from '../server/src/engine/analyze';
import { applyEdits } from '../server/src/engine/apply';
import { defaultSettings, mergeSettings, type Settings } from '../server/src/engine/settings';
import type { Finding } from '../server/src/engine/types';

/** Strip the common indentation of a template literal and its first empty line. */
export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function settings(over: Partial<Settings> = {}): Settings {
  return mergeSettings(defaultSettings(), over);
}

/** Analyse one text (uri test.yaml). */
export function analyze(text: string, over: Partial<Settings> = {}): FileResult {
  return analyzeFiles([{ uri: 'file:///test.yaml', text, settings: settings(over) }])[0]!;
}

/** Findings of one text, optionally of one rule only. Fails the test on internal errors. */
export function check(text: string, over: Partial<Settings> = {}, ruleId?: string): Finding[] {
  const r = analyze(text, over);
  const internal = r.notes.filter((n) => n.message.startsWith('internal error'));
  assert.deepEqual(internal, [], 'no rule may throw');
  return ruleId ? r.findings.filter((f) => f.ruleId === ruleId) : r.findings;
}

/** The text a finding points at. */
export function pointed(text: string, f: Finding): string {
  return text.slice(f.range.start, f.range.end);
}

/** Offset of the n-th occurrence (0-based) of `needle`. */
export function at(text: string, needle: string, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`"${needle}" (#${nth}) not found`);
  }
  return i;
}

/**
 * Apply a fix (by title substring, or the preferred one) of the only finding of `ruleId`,
 * check the result is valid YAML that no longer has that finding, and return the new text.
 */
export function applyFix(text: string, ruleId: string, title?: string, over: Partial<Settings> = {}): string {
  const fs = check(text, over, ruleId);
  assert.equal(fs.length, 1, `expected one ${ruleId} finding, got ${fs.length}`);
  const f = fs[0]!;
  const fix = title ? f.fixes.find((x) => x.title.includes(title)) : f.fixes.find((x) => x.preferred);
  assert.ok(fix, `no fix ${title ?? '(preferred)'} among: ${f.fixes.map((x) => x.title).join(' | ')}`);
  const out = applyEdits(text, fix.edits, 'file:///test.yaml');
  assert.equal(out.skipped, 0, 'every edit applies');
  for (const d of parseAllDocuments(out.text)) assert.deepEqual(d.errors.map((e) => e.message), [], `fixed text is valid YAML:\n${out.text}`);
  const after = check(out.text, over);
  assert.equal(after.filter((x) => x.ruleId === ruleId).length, 0, `the finding is gone after "${fix.title}":\n${out.text}`);
  const newErrors = after.filter((x) => x.severity === 'error' && !check(text, over).some((y) => y.ruleId === x.ruleId));
  assert.deepEqual(newErrors.map((x) => x.ruleId), [], `no new error finding after "${fix.title}"`);
  return out.text;
}
