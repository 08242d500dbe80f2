/**
 * The corpus sweep: every file of ../shared/corpus/ (1,096 real public manifests) is analysed
 * without an internal error, with every finding inside the text; the findings on `general/`
 * (mostly non-Istio YAML) are kept as a checked-in snapshot so any change shows in review.
 * Set UPDATE_SNAPSHOTS=1 to rewrite the snapshot after reviewing the difference.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeFiles } from '../server/src/engine/analyze';
import { ruleById } from '../server/src/engine/rules/registry';
import { LineIndex } from '../server/src/engine/text';
import { settings } from './helpers';

const REPO = join(__dirname, '..', '..');
export const CORPUS = join(REPO, '..', 'shared', 'corpus');
const SNAPSHOT = join(REPO, 'test', 'snapshots', 'corpus-general.txt');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.(ya?ml|tpl)$/.test(name)) out.push(p);
  }
  return out;
}

describe('corpus', { skip: existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
  for (const folder of ['istio-annotated', 'general', 'large']) {
    test(`${folder}: no internal error, every range inside the text`, () => {
      const files = yamlFiles(join(CORPUS, folder));
      assert.ok(files.length > 0);
      const results = analyzeFiles(files.map((f) => ({ uri: f, text: readFileSync(f, 'utf8'), settings: settings() })));
      for (const r of results) {
        assert.deepEqual(
          r.notes.filter((n) => n.message.startsWith('internal error')),
          [],
          r.uri,
        );
        for (const f of r.findings) {
          assert.ok(f.range.start >= 0 && f.range.end <= r.text.length && f.range.start <= f.range.end, `${r.uri}: ${f.ruleId} range`);
          for (const fix of f.fixes) for (const e of fix.edits) assert.ok(e.uri !== undefined || (e.start >= 0 && e.end <= r.text.length && e.start <= e.end), `${r.uri}: ${f.ruleId} fix range`);
        }
      }
    });
  }

  test('general/: findings match the reviewed snapshot; no Istio rule fires on non-Istio files', () => {
    const dir = join(CORPUS, 'general');
    const files = yamlFiles(dir);
    const lines: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const [r] = analyzeFiles([{ uri: f, text, settings: settings() }]);
      const idx = new LineIndex(text);
      const istio = /istio/i.test(text);
      for (const finding of r!.findings) {
        const rule = ruleById(finding.ruleId)!;
        if (!istio) assert.equal(rule.needs, 'kubernetes', `${relative(dir, f)}: ${finding.ruleId} on a file without Istio`);
        lines.push(`${relative(dir, f)}:${idx.positionAt(finding.range.start).line + 1} ${finding.ruleId}`);
      }
    }
    const current = lines.join('\n') + '\n';
    if (process.env.UPDATE_SNAPSHOTS) writeFileSync(SNAPSHOT, current);
    assert.equal(current, existsSync(SNAPSHOT) ? readFileSync(SNAPSHOT, 'utf8') : '', 'findings on general/ changed: review, then UPDATE_SNAPSHOTS=1 npm test');
  });
});
