/**
 * Runs one hostile input (hostile-inputs.ts) through the engine and prints what happened as
 * one JSON line. hostile.test.ts starts it as a child process with a memory cap and kills it
 * after a time bound, so a hang or a memory blow-up fails the test instead of the test run.
 *
 *   node --max-old-space-size=512 out/test/reliability/hostile-child.js "<case name>"
 */
import { analyzeFiles, type FileResult } from '../../server/src/engine/analyze';
import { defaultSettings } from '../../server/src/engine/settings';
import { LineIndex } from '../../server/src/engine/text';
import { hostileText } from './hostile-inputs';
import { checkFix, checkResult, type Violation } from './invariants';

export interface ChildReport {
  ms: number;
  maxRssMb: number;
  length: number;
  findings: { ruleId: string; line: number }[];
  notes: string[];
  violations: Violation[];
}

function main(): void {
  const name = process.argv[2]!;
  const text = hostileText(name);
  const uri = 'file:///hostile.yaml';
  const settings = defaultSettings();
  const t0 = performance.now();
  const result = analyzeFiles([{ uri, text, settings }])[0]!;
  const ms = performance.now() - t0;
  const violations = checkResult(result);
  // Fix safety on the first findings (re-analysing a huge input per fix would only cost time).
  const analyze = (t: string): FileResult => analyzeFiles([{ uri, text: t, settings }])[0]!;
  for (const finding of result.findings.slice(0, 3)) for (const fix of finding.fixes) violations.push(...checkFix({ uri, before: result, finding, fix, analyze }).violations);
  const lines = new LineIndex(text);
  const report: ChildReport = {
    ms,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    length: text.length,
    findings: result.findings.map((f) => ({ ruleId: f.ruleId, line: lines.positionAt(f.range.start).line + 1 })),
    notes: result.notes.map((n) => n.message),
    violations,
  };
  process.stdout.write(JSON.stringify(report) + '\n');
}

main();
