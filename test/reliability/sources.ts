/**
 * The real inputs the reliability tests and the fuzzer run over: every fixture (a directory is
 * one multi-file run), the samples, and the corpus at ../shared/corpus/ (read in place, never
 * copied into the repository). Fixture settings come from their `# settings: {...}` line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultSettings, mergeSettings, type Settings } from '../../server/src/engine/settings';

/** The repository root, from out/test/reliability/ or out/scripts/. */
export const REPO = findRepo(__dirname);
export const CORPUS = join(REPO, '..', 'shared', 'corpus');

function findRepo(dir: string): string {
  let d = dir;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'server', 'src'))) return d;
    d = join(d, '..');
  }
  return join(dir, '..', '..', '..');
}

export interface SourceFile {
  /** Absolute path (also the uri given to the engine). */
  path: string;
  /** Path relative to the repository (or to the corpus, prefixed `corpus/`). */
  name: string;
  text: string;
  settings: Settings;
}

/** A set of files analysed as one run. */
export type SourceGroup = SourceFile[];

export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.(ya?ml|tpl)$/.test(name)) out.push(p);
  }
  return out;
}

/** A fixture's settings line: `# settings: {"istioVersion": "1.25"}`. */
export function settingsOf(text: string): Settings {
  const m = /^# settings: (\{.*\})$/m.exec(text);
  let layer: Partial<Settings> = {};
  try {
    layer = m ? (JSON.parse(m[1]!) as Partial<Settings>) : {};
  } catch {
    layer = {};
  }
  return mergeSettings(defaultSettings(), layer);
}

function load(path: string, name: string): SourceFile {
  const text = readFileSync(path, 'utf8');
  return { path, name, text, settings: settingsOf(text) };
}

/** Fixtures (directories as one group each) and samples. */
export function fixtureGroups(): SourceGroup[] {
  const groups: SourceGroup[] = [];
  const root = join(REPO, 'test', 'fixtures');
  for (const name of existsSync(root) ? readdirSync(root).sort() : []) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) {
      const files = yamlFilesUnder(p).map((f) => load(f, relative(REPO, f)));
      if (files.length > 0) groups.push(files);
    } else if (/\.ya?ml$/.test(name)) groups.push([load(p, relative(REPO, p))]);
  }
  for (const f of yamlFilesUnder(join(REPO, 'samples'))) groups.push([load(f, relative(REPO, f))]);
  return groups;
}

/** Every corpus file, each on its own (default settings). Empty without a corpus. */
export function corpusFiles(): SourceFile[] {
  return yamlFilesUnder(CORPUS).map((f) => ({ path: f, name: `corpus/${relative(CORPUS, f)}`, text: readFileSync(f, 'utf8'), settings: defaultSettings() }));
}
