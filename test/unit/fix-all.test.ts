/**
 * The engine's fixAll: one fix per document per pass, re-checked; a pass that breaks the YAML
 * or adds an error finding is undone.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { applyEdits, diffEdit, fixAll } from '../../server/src/engine/apply';
import type { Finding } from '../../server/src/engine/types';

const finding = (start: number, end: number, newText: string, ruleId = 'r'): Finding => ({
  ruleId,
  severity: 'error',
  range: { start, end },
  message: `${ruleId} at ${start}`,
  related: [],
  fixes: [{ title: 't', edits: [{ start, end, newText }], preferred: true }],
});

test('a fix that breaks the YAML is undone and skipped', () => {
  const text = 'a: 1\nb: 2\n';
  const out = fixAll(text, 'u', (t) => ({
    findings: t.includes('a: 1') ? [finding(0, 1, 'a: [')] : [],
    yamlErrors: parseAllDocuments(t).reduce((n, d) => n + d.errors.length, 0),
  }));
  assert.equal(out.text, text);
  assert.equal(out.applied, 0);
});

test('one fix per document per pass, then re-analysed: both documents fixed, in two passes within one', () => {
  const text = 'x: 1\ny: 1\n---\nz: 1\n';
  const seen: string[] = [];
  const out = fixAll(text, 'u', (t) => {
    seen.push(t);
    const fs: Finding[] = [];
    for (const m of t.matchAll(/: 1/g)) fs.push(finding(m.index! + 2, m.index! + 3, '2'));
    return { findings: fs, yamlErrors: 0 };
  });
  assert.equal(out.text, 'x: 2\ny: 2\n---\nz: 2\n');
  assert.equal(out.applied, 3);
  assert.equal(seen[1], 'x: 2\ny: 1\n---\nz: 2\n', 'the first pass fixed one finding in each document');
});

test('diffEdit turns one text into another with one edit', () => {
  const a = 'spec:\n  x: 1\n  y: 2\n';
  const b = 'spec:\n  x: 1\n  w: 0\n  y: 2\n';
  const e = diffEdit(a, b)!;
  assert.equal(applyEdits(a, [e]).text, b);
  assert.equal(diffEdit(a, a), undefined);
});
