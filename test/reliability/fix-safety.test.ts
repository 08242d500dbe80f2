/**
 * Fix safety, as properties over every fixture (also rewritten with CRLF line endings and with
 * 4-space indentation) and every corpus file: each fix of each finding leaves no new YAML
 * error, clears its finding, adds no error finding, leaves the other documents byte-identical,
 * keeps every comment line, the line endings and the indentation style (invariants.ts).
 *
 * Then `drainguard check --fix` itself: a second run changes nothing; it writes through a
 * temporary file and a rename, only the files it read, never one that changed on disk since.
 */
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { analyzeFiles, type FileResult } from '../../server/src/engine/analyze';
import { run, type Io } from '../../server/src/cli/main';
import { checkFix, checkResult, type Violation } from './invariants';
import { CORPUS, corpusFiles, fixtureGroups, type SourceFile, type SourceGroup } from './sources';

/** Rewrite a text with CRLF line endings. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * Re-render a text's documents with another indentation (`indent` spaces per level; block
 * sequences indented under their key or flush with it), comments kept. Texts with YAML errors
 * are returned as they are.
 */
function reformat(text: string, indent: number, indentSeq: boolean): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return text;
  return docs
    .map((d, i) => {
      const s = d.toString({ indent, indentSeq, lineWidth: 0 });
      return i > 0 && !s.startsWith('---') ? `---\n${s}` : s;
    })
    .join('');
}
const wide = (t: string): string => reformat(t, 4, true);
/** Each document as pretty-printed JSON (what `kubectl get -o json` writes); comments are lost. */
function json(text: string): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return text;
  try {
    return docs.map((d) => JSON.stringify(d.toJS({ maxAliasCount: 100 }), null, 2)).join('\n---\n') + '\n';
  } catch {
    return text;
  }
}
const flush = (t: string): string => reformat(t, 2, false);

interface Stats {
  findings: number;
  fixes: number;
}

/** Check every fix of every finding of a group; returns the violations, labelled by file. */
function checkGroup(group: SourceGroup, stats: Stats): string[] {
  const inputs = group.map((f) => ({ uri: f.path, text: f.text, settings: f.settings }));
  const results = analyzeFiles(inputs);
  const problems: string[] = [];
  results.forEach((before, i) => {
    const label = group[i]!.name;
    for (const v of checkResult(before)) problems.push(`${label}: ${v.invariant}: ${v.detail}`);
    const analyze = (text: string): FileResult => analyzeFiles(inputs.map((inp, j) => (j === i ? { ...inp, text } : inp)))[i]!;
    for (const finding of before.findings) {
      stats.findings++;
      for (const fix of finding.fixes) {
        stats.fixes++;
        let vs: Violation[];
        try {
          vs = checkFix({ uri: inputs[i]!.uri, before, finding, fix, analyze }).violations;
        } catch (e) {
          vs = [{ invariant: 'the check ran', detail: String(e instanceof Error ? e.stack : e) }];
        }
        for (const v of vs) problems.push(`${label}: ${v.invariant}: ${v.detail}`);
      }
    }
  });
  return problems;
}

function variant(group: SourceGroup, name: string, f: (t: string) => string): SourceGroup {
  return group.map((s) => ({ ...s, name: `${s.name} (${name})`, text: f(s.text) }));
}

describe('fix safety', () => {
  test('every fix of every fixture finding, as written, with CRLF, 4-space indentation, flush sequences and as JSON', () => {
    const stats: Stats = { findings: 0, fixes: 0 };
    const problems: string[] = [];
    for (const g of fixtureGroups()) {
      problems.push(...checkGroup(g, stats));
      problems.push(...checkGroup(variant(g, 'CRLF', crlf), stats));
      problems.push(...checkGroup(variant(g, '4-space', wide), stats));
      problems.push(...checkGroup(variant(g, 'flush sequences', flush), stats));
      problems.push(...checkGroup(variant(g, 'JSON', json), stats));
    }
    assert.ok(stats.fixes > 50, `the fixtures exercise fixes (${stats.fixes})`);
    assert.deepEqual(problems, []);
  });

  test('every fix of every corpus finding', { skip: existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
    const stats: Stats = { findings: 0, fixes: 0 };
    const problems: string[] = [];
    const files = corpusFiles();
    for (const f of files) {
      problems.push(...checkGroup([f], stats));
      // Istio-annotated files with findings also as CRLF (cheap: few files have findings).
      if (f.name.includes('istio-annotated') && /istio/.test(f.text)) {
        const [r] = analyzeFiles([{ uri: f.path, text: f.text, settings: f.settings }]);
        if (r!.findings.some((x) => x.fixes.length > 0)) problems.push(...checkGroup([{ ...f, name: `${f.name} (CRLF)`, text: crlf(f.text) }], stats));
      }
    }
    assert.ok(files.length > 1000 && stats.fixes > 20, `the corpus exercises fixes (${files.length} files, ${stats.fixes} fixes)`);
    assert.deepEqual(problems, []);
  });
});

// ---------------------------------------------------------------------------------------------
// drainguard check --fix

const tmpRoots: string[] = [];
after(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'drainguard-fix-'));
  tmpRoots.push(d);
  return d;
}

function cli(args: string[], cwd: string, readStdin: () => string = () => ''): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: Io = { cwd, stdout: (s) => (out += s), stderr: (s) => (err += s), readStdin, isTTY: false };
  const code = run(args, io);
  return { code, out, err };
}

interface Snapshot {
  [name: string]: { text: string; mtimeMs: number; ino: number };
}

function snapshot(dir: string): Snapshot {
  const s: Snapshot = {};
  const walk = (d: string, prefix: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, `${prefix}${n}/`);
      else s[`${prefix}${n}`] = { text: st.isSymbolicLink() ? `-> link` : readFileSync(p, 'latin1'), mtimeMs: st.mtimeMs, ino: st.ino };
    }
  };
  walk(dir, '');
  return s;
}

/** Copy the fixtures and samples (and the corpus' Istio files) into a temporary tree. */
function workTree(withCorpus: boolean): { dir: string; files: SourceFile[] } {
  const dir = tmp();
  const files: SourceFile[] = [];
  let n = 0;
  const put = (f: SourceFile, text: string, suffix: string): void => {
    const p = join(dir, `${String(n++).padStart(4, '0')}-${basename(f.path).replace(/\.(ya?ml|tpl)$/, '')}${suffix}.yaml`);
    writeFileSync(p, text);
    files.push({ ...f, path: p, text });
  };
  for (const g of fixtureGroups())
    for (const f of g) {
      put(f, f.text, '');
      put(f, crlf(f.text), '-crlf');
      put(f, wide(f.text), '-wide');
      put(f, flush(f.text), '-flush');
    }
  if (withCorpus) for (const f of corpusFiles()) if (f.name.includes('istio-annotated')) put(f, f.text, '');
  return { dir, files };
}

describe('drainguard check --fix', () => {
  test('fixes keep YAML valid, comments and line endings; a second run changes nothing', { skip: existsSync(CORPUS) ? false : 'no corpus' }, () => {
    const { dir, files } = workTree(true);
    const first = cli(['check', '--fix', '--format', 'json', '.'], dir);
    assert.notEqual(first.code, 2, first.err);
    let changed = 0;
    const problems: string[] = [];
    for (const f of files) {
      const now = readFileSync(f.path, 'utf8');
      if (now === f.text) continue;
      changed++;
      const [before] = analyzeFiles([{ uri: f.path, text: f.text, settings: f.settings }]);
      const [afterFix] = analyzeFiles([{ uri: f.path, text: now, settings: f.settings }]);
      const errs = (r: FileResult) => r.parsed.documents.filter((d) => !d.ok).length;
      if (errs(afterFix!) > errs(before!)) problems.push(`${f.name}: --fix made a document unparsable`);
      const comments = f.text.split(/\r\n|\n|\r/).filter((l) => /^\s*#/.test(l));
      const lines = new Set(now.split(/\r\n|\n|\r/));
      for (const c of comments) if (!lines.has(c)) problems.push(`${f.name}: comment line lost: ${c}`);
      const hasCrlf = (t: string) => /\r\n/.test(t);
      const hasLf = (t: string) => /(^|[^\r])\n/.test(t);
      if (hasCrlf(now) !== hasCrlf(f.text) || hasLf(now) !== hasLf(f.text)) problems.push(`${f.name}: line endings changed`);
    }
    assert.deepEqual(problems, []);
    assert.ok(changed > 20, `--fix changed files (${changed})`);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file is left behind',
    );
    const before = snapshot(dir);
    const second = cli(['check', '--fix', '--format', 'json', '.'], dir);
    assert.notEqual(second.code, 2, second.err);
    assert.deepEqual(snapshot(dir), before, 'the second --fix run writes nothing');
  });

  test('--fix replaces the file through a rename (a new inode, the mode kept), never in place', () => {
    const dir = tmp();
    const p = join(dir, 'a.yaml');
    writeFileSync(p, readFileSync(fixtureGroups().flat().find((f) => f.name.endsWith('drain-vs-grace.yaml'))!.path));
    chmodSync(p, 0o640);
    const ino = statSync(p).ino;
    const r = cli(['check', '--fix', 'a.yaml'], dir);
    assert.notEqual(r.code, 2, r.err);
    const st = statSync(p);
    assert.notEqual(st.ino, ino, 'the fixed file is a new inode (written to a temporary file, then renamed)');
    assert.equal(st.mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ['a.yaml']);
  });

  test('--fix writes only the files it read: not ignored files, not other files, not through links', () => {
    const dir = tmp();
    const src = readFileSync(fixtureGroups().flat().find((f) => f.name.endsWith('drain-vs-grace.yaml'))!.path, 'utf8');
    mkdirSync(join(dir, 'skip'));
    mkdirSync(join(dir, 'k8s'));
    writeFileSync(join(dir, '.drainguard.yaml'), 'ignore:\n  - skip/**\n');
    writeFileSync(join(dir, 'skip', 'ignored.yaml'), src);
    writeFileSync(join(dir, 'k8s', 'notes.txt'), src);
    writeFileSync(join(dir, 'k8s', 'real.yaml'), src);
    const outside = tmp();
    writeFileSync(join(outside, 'outside.yaml'), src);
    symlinkSync(join(outside, 'outside.yaml'), join(dir, 'k8s', 'link-out.yaml'));
    symlinkSync(join(dir, 'k8s', 'real.yaml'), join(dir, 'k8s', 'link-in.yaml'));
    const r = cli(['check', '--fix', '.'], dir);
    assert.notEqual(r.code, 2, r.err);
    assert.equal(readFileSync(join(dir, 'skip', 'ignored.yaml'), 'utf8'), src, 'an ignored file is not written');
    assert.equal(readFileSync(join(dir, 'k8s', 'notes.txt'), 'utf8'), src, 'a file that is not YAML is not written');
    assert.equal(readFileSync(join(outside, 'outside.yaml'), 'utf8'), src, 'a link out of the root is neither read nor written');
    assert.ok(lstatSync(join(dir, 'k8s', 'link-out.yaml')).isSymbolicLink());
    assert.ok(lstatSync(join(dir, 'k8s', 'link-in.yaml')).isSymbolicLink(), 'a link inside the root stays a link');
    assert.notEqual(readFileSync(join(dir, 'k8s', 'real.yaml'), 'utf8'), src, 'the file it read is fixed');
    assert.deepEqual(readdirSync(join(dir, 'k8s')).sort(), ['link-in.yaml', 'link-out.yaml', 'notes.txt', 'real.yaml']);
  });

  test('--fix never writes a file that changed on disk after it was read', () => {
    const dir = tmp();
    const src = readFileSync(fixtureGroups().flat().find((f) => f.name.endsWith('drain-vs-grace.yaml'))!.path, 'utf8');
    const p = join(dir, 'a.yaml');
    writeFileSync(p, src);
    const edited = src + '\n# edited by someone else while drainguard ran\n';
    // Files are read in argument order: a.yaml first, then standard input. Reading standard
    // input is the moment to change a.yaml behind the CLI's back.
    const r = cli(['check', '--fix', 'a.yaml', '-'], dir, () => {
      writeFileSync(p, edited);
      return 'a: 1\n';
    });
    assert.equal(r.code, 2);
    assert.match(r.err, /a\.yaml: changed on disk since it was read; not fixed/);
    assert.equal(readFileSync(p, 'utf8'), edited, 'the other writer wins');
    assert.deepEqual(readdirSync(dir), ['a.yaml']);
  });

  test('--fix keeps a byte-order mark and the bytes around the fix', () => {
    const dir = tmp();
    const src = readFileSync(fixtureGroups().flat().find((f) => f.name.endsWith('drain-vs-grace.yaml'))!.path, 'utf8');
    const p = join(dir, 'bom.yaml');
    writeFileSync(p, '\uFEFF' + crlf(src));
    const r = cli(['check', '--fix', 'bom.yaml'], dir);
    assert.notEqual(r.code, 2, r.err);
    const now = readFileSync(p, 'utf8');
    assert.notEqual(now, '\uFEFF' + crlf(src), 'the file was fixed');
    assert.ok(now.startsWith('\uFEFF'), 'the byte-order mark is kept');
    assert.doesNotMatch(now, /(^|[^\r])\n/, 'CRLF kept');
  });
});
