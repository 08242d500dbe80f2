/**
 * Every fixture under test/fixtures/ (a file, or a directory analysed as one run) marks the
 * lines where findings are expected with `# expect: <rule-id>[, <rule-id>]`. The findings must
 * equal the markers exactly: same rules, same lines, nothing more.
 */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeFiles } from '../server/src/engine/analyze';
import { LineIndex } from '../server/src/engine/text';
import { settings } from './helpers';

const ROOT = join(__dirname, '..', '..', 'test', 'fixtures');
const MARK = /#\s*expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)/g;

function expected(text: string): string[] {
  const lines = new LineIndex(text);
  const out: string[] = [];
  for (const m of text.matchAll(MARK)) {
    const line = lines.positionAt(m.index ?? 0).line + 1;
    for (const id of m[1]!.split(',')) out.push(`${line} ${id.trim()}`);
  }
  return out.sort();
}

/** A fixture may carry its settings in a first-line comment: `# settings: {"istioVersion": "1.25"}`. */
function settingsOf(text: string) {
  const m = /^# settings: (\{.*\})$/m.exec(text);
  return settings(m ? JSON.parse(m[1]!) : {});
}

const entries = readdirSync(ROOT).sort();
for (const name of entries) {
  const p = join(ROOT, name);
  const files = statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(p, f))
    : /\.ya?ml$/.test(name)
      ? [p]
      : [];
  if (files.length === 0) continue;
  test(`fixture ${name}`, () => {
    const inputs = files.map((f) => {
      const text = readFileSync(f, 'utf8');
      return { uri: f, text, settings: settingsOf(text) };
    });
    const results = analyzeFiles(inputs);
    results.forEach((r, i) => {
      const lines = new LineIndex(r.text);
      const internal = r.notes.filter((n) => n.message.startsWith('internal error'));
      assert.deepEqual(internal, []);
      const got = r.findings.map((f) => `${lines.positionAt(f.range.start).line + 1} ${f.ruleId}`).sort();
      assert.deepEqual(got, expected(inputs[i]!.text), `findings of ${files[i]}`);
    });
  });
}
