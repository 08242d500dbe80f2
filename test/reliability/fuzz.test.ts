/**
 * The short fuzz run of `npm test`: a fixed seed, a few thousand mutated fixtures and corpus
 * files through the engine in worker processes (scripts/fuzz.ts), every invariant checked
 * (invariants.ts: no throw, bounded time, ranges inside the text, fixes that apply cleanly and
 * are safe). Plus the deterministic part: every fixture truncated at every document boundary,
 * and the regression fixtures (test/fixtures/regression-*.yaml, found by the fuzzer and the
 * hostile inputs) checked whole. The long run is `npm run fuzz` (100,000 cases, seedable).
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { checkText, runFuzz } from '../../scripts/fuzz';
import { CORPUS, fixtureGroups } from './sources';

const SEED = 20261128;
const CASES = 2000;

test(`short fuzz run: seed ${SEED}, ${CASES} cases, no invariant broken`, { timeout: 300000 }, async (t) => {
  const report = await runFuzz({
    seed: SEED,
    cases: CASES,
    workers: 2,
    corpus: existsSync(CORPUS),
    maxSeedBytes: 16 * 1024,
    fixSafety: true,
    // Failure bounds on hangs, not performance goals: a loaded CI machine is slow.
    maxMs: 15000,
    hangMs: 60000,
    memoryMb: 768,
  });
  t.diagnostic(`${report.cases} cases over ${report.seeds} seed files, ${report.findings} findings, ${report.fixes} fixes checked, slowest ${Math.round(report.slowestMs)} ms, ${Math.round(report.ms / 1000)} s`);
  const failures = report.failures.map((f) => `case ${f.index} (${f.seedFile}; ${f.mutations?.join(', ')}): ${f.violations.map((v) => `${v.invariant}: ${v.detail.split('\n')[0]}`).join(' | ')}`);
  assert.deepEqual(failures, [], `reproduce with: npm run fuzz -- --seed ${SEED} --case N`);
  assert.equal(report.cases, CASES);
  assert.ok(report.fixes > 50, 'the run exercised fixes');
});

test('every fixture truncated at every document boundary, and every regression fixture whole', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const group of fixtureGroups()) {
    for (const f of group) {
      const cuts = new Set<number>();
      for (let i = f.text.indexOf('---'); i >= 0; i = f.text.indexOf('---', i + 3)) {
        if (i > 0 && f.text[i - 1] !== '\n') continue;
        cuts.add(i); // just before the marker
        cuts.add(Math.min(f.text.length, i + 4)); // just after it
      }
      if (f.name.includes('regression-')) cuts.add(f.text.length);
      for (const at of cuts) {
        checked++;
        const out = checkText(f.text.slice(0, at), f.settings, { fixSafety: true, maxMs: 15000, uri: `file://${f.path}` });
        for (const v of out.violations) problems.push(`${f.name} cut at ${at}: ${v.invariant}: ${v.detail.split('\n')[0]}`);
      }
    }
  }
  assert.ok(checked > 40, `cuts checked: ${checked}`);
  assert.deepEqual(problems, []);
});
