/**
 * host/files.ts directly: ignore globs, BOM-preserving reads, and atomic writes through
 * symbolic links (the cases the CLI cannot reach end to end).
 */
import * as assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { globToRegExp, readText, writeAtomically } from '../../server/src/host/files';

describe('globToRegExp', () => {
  const matches = (glob: string, paths: string[]) => paths.filter((p) => globToRegExp(glob).test(p));

  test('a trailing slash: that directory and everything under it, at any depth without another slash', () => {
    const paths = ['charts/a.yaml', 'charts/x/b.yaml', 'apps/charts/c.yaml', 'charts.yaml', 'chartsx/d.yaml', 'charts'];
    assert.deepEqual(matches('charts/', paths), ['charts/a.yaml', 'charts/x/b.yaml', 'apps/charts/c.yaml']);
    assert.deepEqual(matches('./charts/', paths), ['charts/a.yaml', 'charts/x/b.yaml', 'apps/charts/c.yaml']);
    assert.deepEqual(matches('deploy/gen/', ['deploy/gen/a.yaml', 'x/deploy/gen/a.yaml', 'deploy/gen.yaml']), ['deploy/gen/a.yaml']);
  });

  test('patterns without a trailing slash are unchanged', () => {
    assert.deepEqual(matches('charts', ['charts/a.yaml', 'x/charts', 'chartsx']), ['charts/a.yaml', 'x/charts']);
    assert.deepEqual(matches('charts/**/templates/**', ['charts/a/templates/t.yaml', 'charts/templates/t.yaml', 'x/charts/templates/t.yaml']), ['charts/a/templates/t.yaml', 'charts/templates/t.yaml']);
    assert.deepEqual(matches('*.gen.yaml', ['a.gen.yaml', 'x/b.gen.yaml', 'c.yaml']), ['a.gen.yaml', 'x/b.gen.yaml']);
  });
});

describe('readText and writeAtomically', () => {
  test('a BOM stays in the text, and a fix of such a file is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drainguard-files-'));
    const file = join(dir, 'a.yaml');
    writeFileSync(file, '\uFEFFa: 1\n');
    const r = readText(file);
    assert.ok('text' in r);
    assert.equal(r.text, '\uFEFFa: 1\n');
    assert.equal(writeAtomically(file, r.text, '\uFEFFa: 2\n', r.mtimeMs), undefined);
    assert.deepEqual(readFileSync(file), Buffer.from('\uFEFFa: 2\n', 'utf8'));
  });

  test('through a link: the target is written inside the roots, refused outside them', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'drainguard-files-')));
    mkdirSync(join(dir, 'root'));
    mkdirSync(join(dir, 'elsewhere'));
    const target = join(dir, 'elsewhere', 't.yaml');
    writeFileSync(target, 'a: 1\n');
    const link = join(dir, 'root', 'link.yaml');
    symlinkSync(target, link);
    const mtime = statSync(target).mtimeMs;
    const refused = writeAtomically(link, 'a: 1\n', 'a: 2\n', mtime, [join(dir, 'root')]);
    assert.match(refused ?? '', /links to .*elsewhere.*t\.yaml, outside the paths given to check; refusing to write there, not fixed/);
    assert.equal(readFileSync(target, 'utf8'), 'a: 1\n');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(writeAtomically(link, 'a: 1\n', 'a: 2\n', mtime, [join(dir, 'root'), join(dir, 'elsewhere')]), undefined);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is not replaced by a regular file');
    assert.equal(readFileSync(target, 'utf8'), 'a: 2\n');
  });
});
