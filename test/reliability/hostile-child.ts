/**
 * Runs one hostile input (hostile-inputs.ts) through the engine and prints what happened as
 * one JSON line. hostile.test.ts starts it as a child process with a memory cap and kills it
 * after a time bound, so a hang or a memory blow-up fails the test instead of the test run.
 *
 *   node --max-old-space-size=512 out/test/reliability/hostile-child.js "<case name>" ...
 */
import { analyzeFiles, type FileResult } from '../../server/src/engine/analyze';
import { defaultSettings } from '../../server/src/engine/settings';
import { LineIndex } from '../../server/src/engine/text';
import { hostileText } from './hostile-inputs';
import { checkFix, checkResult, type Violation } from './invariants';

export interface ChildReport {
  name: string;
  ms: number;
  maxRssMb: number;
  length: number;
  findings: { ruleId: string; line: number }[];
  notes: string[];
  violations: Violation[];
}

/** One case: analysed, checked, summarised. */
function runCase(name: string): ChildReport {
  const text = hostileText(name);
  const uri = 'file:///hostile.yaml';
  const settings = defaultSettings();
  const t0 = performance.now();
  const result = analyzeFiles([{ uri, text, settings }])[0]!;
  const ms = performance.now() - t0;
  const violations = checkResult(result);
  // Fix safety on the first findings (re-analysing a huge input per fix would only cost time).
  const analyze = (t: string): FileResult => analyzeFiles([{ uri, text: t, settings }])[0]!;
  if (text.length < 256 * 1024) for (const finding of result.findings.slice(0, 3)) for (const fix of finding.fixes) violations.push(...checkFix({ uri, before: result, finding, fix, analyze }).violations);
  const lines = new LineIndex(text);
  return {
    name,
    ms,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    length: text.length,
    findings: result.findings.map((f) => ({ ruleId: f.ruleId, line: lines.positionAt(f.range.start).line + 1 })),
    notes: result.notes.map((n) => n.message),
    violations,
  };
}

// Each case named on the command line, one JSON line each (written as soon as it is done, so
// that a case that hangs or takes the process down is the one after the last line).
for (const name of process.argv.slice(2)) process.stdout.write(JSON.stringify(runCase(name)) + '\n');
