// Runs the TextMate grammar tests (test/grammar/*.test.yaml) with vscode-tmgrammar-test.
// The injection grammar is loaded through package.json `contributes.grammars`, so the test also
// covers its registration (injectTo, path); the host grammars it is injected into (VS Code's YAML
// and JSON grammars) come from test/grammar/base/.
// vscode-tmgrammar-test reports per file; this wrapper also prints `N passed, N failed`, counting
// each source line that carries assertions as one test (from the tool's xunit report).
// usage: node scripts/test-grammar.mjs [test files or globs]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = join(require.resolve('vscode-tmgrammar-test/package.json'), '..', 'dist', 'unit.js');
const baseDir = 'test/grammar/base';
const grammars = readdirSync(baseDir)
  .filter((f) => f.endsWith('.tmLanguage.json'))
  .sort()
  .flatMap((f) => ['-g', join(baseDir, f)]);
const tests = process.argv.length > 2 ? process.argv.slice(2) : ['test/grammar/*.test.yaml'];

const reportDir = mkdtempSync(join(tmpdir(), 'drainguard-tmgrammar-'));
let status;
let passed = 0;
let failed = 0;
try {
  const r = spawnSync(process.execPath, [cli, '--config', 'package.json', ...grammars, '--xunit-report', reportDir, ...tests], { stdio: 'inherit' });
  status = r.status ?? 1;
  for (const f of readdirSync(reportDir)) {
    for (const [, body] of readFileSync(join(reportDir, f), 'utf8').matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
      if (body && /<(failure|error)\b/.test(body)) failed++;
      else passed++;
    }
  }
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}
// A test file that does not parse, or a grammar that does not load, has no test cases in the
// report: count it as a failure rather than print a green summary over a red exit status.
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
