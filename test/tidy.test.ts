/**
 * Tidy tests: the rule registry, its docs, tests and fixtures stay consistent, and the engine
 * stays pure.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ruleDocPage, ruleIndexPage } from '../server/src/engine/rules/docs';
import { RULES } from '../server/src/engine/rules/registry';
import { DEFAULT_SETTINGS } from '../server/src/engine/settings';
import { EDITOR_KEYS } from '../server/src/lsp/settings';

const REPO = join(__dirname, '..', '..');

test('rule ids are unique and kebab-case, rule files are named by id', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    assert.match(id, /^[a-z]+(-[a-z0-9]+)*$/);
    assert.ok(existsSync(join(REPO, 'server/src/engine/rules', `${id}.ts`)), `rules/${id}.ts exists`);
  }
});

test('every rule has docs, a test file and a fixture', () => {
  const fixtureText = allFiles(join(REPO, 'test/fixtures'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const r of RULES) {
    assert.ok(r.title.length > 10 && r.docs.why.length > 80 && r.docs.fix.length > 10 && r.docs.sources.length > 0, `${r.id} is documented`);
    assert.ok(existsSync(join(REPO, 'test/rules', `${r.id}.test.ts`)), `test/rules/${r.id}.test.ts exists`);
    assert.match(fixtureText, new RegExp(`expect:[^\\n]*\\b${r.id}\\b`), `a fixture expects ${r.id}`);
  }
});

test('generated rule docs are current (run `npm run docs`)', () => {
  const dir = join(REPO, 'docs/rules');
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), ruleIndexPage(RULES));
  for (const r of RULES) assert.equal(readFileSync(join(dir, `${r.id}.md`), 'utf8'), ruleDocPage(r), `docs/rules/${r.id}.md`);
  const pages = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  assert.deepEqual(pages.sort(), RULES.map((r) => `${r.id}.md`).sort(), 'no stale pages');
});

test('the engine imports nothing impure (no I/O, no LSP, no VS Code, no processes)', () => {
  const banned = /from ['"](node:)?(fs|child_process|net|http|https|vm|worker_threads|dgram|tls)['"]|from ['"]vscode|require\(/;
  for (const f of allFiles(join(REPO, 'server/src/engine'))) {
    const text = readFileSync(f, 'utf8');
    assert.doesNotMatch(text, banned, f);
    assert.doesNotMatch(text, /\beval\(|new Function\(/, f);
  }
});

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

test('package.json contributes every setting with the server default', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; description?: string; markdownDescription?: string }>;
  for (const key of EDITOR_KEYS) {
    const p = props[`drainguard.${key}`];
    assert.ok(p, `drainguard.${key} is contributed`);
    assert.ok((p.markdownDescription ?? p.description ?? '').length > 20, `drainguard.${key} is documented`);
    const d = (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[key];
    assert.deepEqual(p.default, d === undefined ? '' : d, `drainguard.${key} default`);
  }
  assert.ok(props['drainguard.trace.server'], 'drainguard.trace.server');
  assert.deepEqual(Object.keys(props).sort(), [...EDITOR_KEYS.map((k) => `drainguard.${k}`), 'drainguard.trace.server'].sort(), 'no undocumented extra settings');
  assert.deepEqual(pkg.capabilities, { untrustedWorkspaces: { supported: true }, virtualWorkspaces: true });
});

test('the README lists every rule', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  for (const r of RULES) assert.match(readme, new RegExp(`\\[\`${r.id}\`\\]\\(docs/rules/${r.id}\\.md\\)`), r.id);
});
