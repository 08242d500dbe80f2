/**
 * The mutation fuzzer: takes the fixtures, the samples and the corpus at ../shared/corpus/,
 * mutates them (byte flips, line deletion and duplication, indentation shifts, truncation at
 * document boundaries, random Unicode, Helm/ytt/kustomize template syntax, huge numbers, deep
 * nesting, anchors and aliases on the annotations, type confusion, line-ending changes, merge
 * keys, YAML 1.1 scalars, splices of other files) and checks the invariants of
 * test/reliability/invariants.ts on each case: the engine never throws, every range lies inside
 * the text, every fix applies cleanly, and (unless --no-fix-safety) every fix is safe.
 *
 *   npm run fuzz                          100,000 cases, a random seed (printed)
 *   npm run fuzz -- --seed 42 --cases 5000
 *   npm run fuzz -- --seed 42 --case 1234 reproduce one case: prints its mutations, writes its input
 *
 * Case i of seed s is a pure function of (s, i) and the seed files (listed in a fixed order),
 * so a failure is reproduced by its seed and case number. Cases run in worker processes
 * (--workers, default 2) with a memory cap; a case that runs longer than --hang-ms (default
 * 30 s) or crashes its worker is a failure too, and the worker is replaced. Exit status 1 when
 * anything failed; the input of each failure is written under --out (default: a temporary
 * directory) and, with --regressions, as a fixture-style file to add to test/fixtures/.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { analyzeFiles, describeSource, type FileResult } from '../server/src/engine/analyze';
import { hoverAt } from '../server/src/engine/hover';
import { defaultSettings, mergeSettings, type Settings } from '../server/src/engine/settings';
import { LineIndex } from '../server/src/engine/text';
import { checkFix, checkResult, type Violation } from '../test/reliability/invariants';
import { CORPUS, REPO, settingsOf, yamlFilesUnder } from '../test/reliability/sources';

// ---------------------------------------------------------------------------------------------
// Random numbers: a small, fast, seedable generator (sfc32), one stream per case.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    this.a = seed >>> 0;
    this.b = stream >>> 0;
    this.c = 0x9e3779b9;
    this.d = (seed ^ (stream * 0x85ebca6b)) >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations. Each takes a text and returns a new one; all positions come from the case's Rng.

export interface SeedFile {
  name: string;
  text: string;
  settings: Settings;
}

interface Lines {
  lines: string[];
  eol: string;
}

function toLines(text: string): Lines {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  return { lines: text.split(/\r?\n/), eol };
}

function fromLines(l: Lines): string {
  return l.lines.join(l.eol);
}

const SPECIAL_CHARS = [
  '\0', '\x01', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', '\t', '\r', '\n', ':', '-', '#', '"', "'", '{', '}', '[', ']', ',', '&', '*', '!', '|', '>', '%', '@', '`', '\\', '?',
  '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ud800', '\udc00', '\ufffd', '\u200b', '\u202e',
];
const UNICODE_SNIPPETS = [
  '😀', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'é', 'e\u0301\u0301\u0301', '\u202eevil', '中文字符', 'Ω≈ç√', '\u200d\u200d', '\ud83d', '\ude00', '\u0000', '\uffff', '\u{10ffff}', 'Ⅻ', '١٢٣',
  '\u2028', '\u0085', '\ufeff', 'ﬁ', 'İ', 'ß',
];
const TEMPLATE_LINES = [
  '{{- if .Values.istio.enabled }}',
  '{{- end }}',
  '{{ .Values.podAnnotations | toYaml | nindent 8 }}',
  '{{- include "chart.labels" . | nindent 4 }}',
  '{{- with .Values.annotations }}',
  '#@ load("@ytt:data", "data")',
  '#@ if data.values.istio:',
  '#@ end',
  '#@overlay/match by=overlay.subset({"kind": "Deployment"})',
  '#@ def labels():',
  '$patch: delete',
  '$patch: replace',
  '- op: replace',
  '  path: /spec/template/spec/terminationGracePeriodSeconds',
  '{% if istio %}',
  '${ISTIO_DRAIN}',
];
const TEMPLATE_VALUES = ['{{ .Values.drain }}', '"{{ .Values.drain }}"', "'{{ .Values.grace | default 30 }}'", '#@ data.values.drain', '${DRAIN}', '{{ toYaml .Values.config | indent 10 }}', '<%= drain %>'];
const HUGE_NUMBERS = [
  '99999999999999999999999999', '1e400', '-1e400', '-1', '0', '-0', '0x7fffffffffffffff', '.inf', '-.inf', '.nan', '1_000', '0o777', '9223372036854775807', '9223372036854775808',
  '-9223372036854775809', '1.5', '1e3', '0.0000001', '4294967296', '2147483648', '1e-400',
];
const HUGE_DURATIONS = ['99999999999999999999s', '2562047h47m16.854775807s', '2562048h', '9223372036854775807ns', '1e400s', '-5s', '0s', '.5s', '1h1h1h', '5', '5 s', '\u0665s', '1.5.5s', 'PT5S'];
const INTERESTING_KEYS = [
  'terminationGracePeriodSeconds', 'proxy.istio.io/config', 'sidecar.istio.io/inject', 'sidecar.istio.io/nativeSidecar', 'terminationDrainDuration', 'drainDuration', 'preStop', 'postStart', 'lifecycle',
  'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', 'MINIMUM_DRAIN_DURATION', 'holdApplicationUntilProxyStarts', 'istio-proxy', 'proxyMetadata', 'annotations', 'labels', 'containers', 'initContainers',
  'restartPolicy', 'istio.io/rev', 'istio-injection', 'drainguard/ignore', 'sleep', 'exec', 'command', 'kind', 'template', 'spec', 'metadata', 'meshConfig', 'defaultConfig', 'values', 'global',
  'proxy', 'items', 'jobTemplate', '<<', 'proxy.istio.io/overrides', 'inject.istio.io/templates',
];
const TYPE_CONFUSION = ['[]', '{}', '~', 'null', '!!binary aGVsbG8=', '!!int "3"', '!custom x', '!!str 5', '""', "''", '[a, {b: c}]', '{a: [1, 2]}', 'yes', 'no', 'on', 'off', 'Y', 'true', '- x', '? x', '|', '>-', '&a x', '*a', '*undefined_alias'];

/** Offsets of the lines at which a document starts (`---`) or ends (`...`). */
function documentBoundaries(text: string): number[] {
  const out: number[] = [];
  const re = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index);
  return out;
}

function lineIndexOf(l: Lines, rng: Rng, pred?: (s: string) => boolean): number {
  const candidates = pred ? l.lines.map((s, i) => (pred(s) ? i : -1)).filter((i) => i >= 0) : [];
  if (pred && candidates.length > 0) return rng.pick(candidates);
  return rng.int(l.lines.length);
}

function indentOf(s: string): string {
  return /^[ \t]*/.exec(s)![0];
}

/** Replace the value of a `key: value` line (or insert one). */
function replaceValue(l: Lines, rng: Rng, value: string, pred: (s: string) => boolean = (s) => /:\s+\S/.test(s)): void {
  const i = lineIndexOf(l, rng, pred);
  const s = l.lines[i] ?? '';
  const m = /^(\s*(?:-\s+)?[^\s#][^:#]*:)(\s+)(.*)$/.exec(s);
  if (m) l.lines[i] = `${m[1]}${m[2]}${value}`;
  else l.lines.splice(i, 0, `${indentOf(s)}fuzz: ${value}`);
}

type Mutation = (text: string, rng: Rng, seeds: readonly SeedFile[]) => string;

export const MUTATIONS: Record<string, { weight: number; apply: Mutation }> = {
  flipByte: {
    weight: 10,
    apply: (t, rng) => {
      if (t.length === 0) return rng.pick(SPECIAL_CHARS);
      const n = 1 + rng.int(4);
      let s = t;
      for (let k = 0; k < n; k++) {
        const i = rng.int(s.length);
        const c = rng.chance(0.5) ? rng.pick(SPECIAL_CHARS) : String.fromCharCode(s.charCodeAt(i) ^ (1 << rng.int(8)));
        s = s.slice(0, i) + c + s.slice(i + 1);
      }
      return s;
    },
  },
  deleteLines: {
    weight: 8,
    apply: (t, rng) => {
      const l = toLines(t);
      const i = rng.int(l.lines.length);
      l.lines.splice(i, 1 + rng.int(3));
      return fromLines(l);
    },
  },
  duplicateLines: {
    weight: 8,
    apply: (t, rng) => {
      const l = toLines(t);
      const i = lineIndexOf(l, rng, (s) => /\S/.test(s));
      const n = 1 + rng.int(rng.chance(0.2) ? 20 : 3);
      l.lines.splice(i, 0, ...l.lines.slice(i, i + n));
      return fromLines(l);
    },
  },
  shiftIndent: {
    weight: 8,
    apply: (t, rng) => {
      const l = toLines(t);
      const i = lineIndexOf(l, rng, (s) => /^\s+\S/.test(s));
      const n = 1 + rng.int(5);
      const by = rng.pick([-4, -2, -1, 1, 2, 4, 0]);
      for (let k = i; k < Math.min(l.lines.length, i + n); k++) {
        const s = l.lines[k]!;
        if (by === 0) l.lines[k] = s.replace(/^( {2})/, '\t');
        else if (by > 0) l.lines[k] = ' '.repeat(by) + s;
        else l.lines[k] = s.replace(new RegExp(`^ {0,${-by}}`), '');
      }
      return fromLines(l);
    },
  },
  truncate: {
    weight: 6,
    apply: (t, rng) => {
      const b = documentBoundaries(t);
      if (b.length > 0 && rng.chance(0.6)) {
        const at = rng.pick(b);
        return rng.chance(0.5) ? t.slice(0, at) : t.slice(0, at + 3 + rng.int(2));
      }
      return t.slice(0, rng.int(t.length + 1));
    },
  },
  unicode: {
    weight: 6,
    apply: (t, rng) => {
      const i = rng.int(t.length + 1);
      let u = '';
      const n = 1 + rng.int(4);
      for (let k = 0; k < n; k++) u += rng.chance(0.5) ? rng.pick(UNICODE_SNIPPETS) : String.fromCodePoint(rng.chance(0.8) ? rng.int(0x3000) : rng.int(0x110000));
      return t.slice(0, i) + u + t.slice(i);
    },
  },
  template: {
    weight: 6,
    apply: (t, rng) => {
      const l = toLines(t);
      if (rng.chance(0.5)) {
        replaceValue(l, rng, rng.pick(TEMPLATE_VALUES));
        return fromLines(l);
      }
      const i = rng.int(l.lines.length + 1);
      const ind = indentOf(l.lines[i] ?? '');
      l.lines.splice(i, 0, ind + rng.pick(TEMPLATE_LINES));
      if (rng.chance(0.5)) l.lines.splice(Math.min(l.lines.length, i + 1 + rng.int(8)), 0, ind + rng.pick(['{{- end }}', '#@ end']));
      return fromLines(l);
    },
  },
  hugeNumber: {
    weight: 6,
    apply: (t, rng) => {
      const nums = [...t.matchAll(/\b\d+(?:\.\d+)?(ms|s|m|h)?\b/g)];
      if (nums.length === 0) return t;
      const m = rng.pick(nums);
      const rep = m[1] ? rng.pick(HUGE_DURATIONS) : rng.pick(HUGE_NUMBERS);
      return t.slice(0, m.index!) + rep + t.slice(m.index! + m[0].length);
    },
  },
  deepNesting: {
    weight: 3,
    apply: (t, rng) => {
      const l = toLines(t);
      const d = 20 + rng.int(rng.chance(0.2) ? 3000 : 300);
      const kind = rng.int(4);
      let v: string;
      if (kind === 0) v = '['.repeat(d) + ']'.repeat(d);
      else if (kind === 1) v = '{a: '.repeat(d) + '1' + '}'.repeat(d);
      else if (kind === 2) v = `'${'{"a":'.repeat(d)}1${'}'.repeat(d)}'`;
      else {
        const i = rng.int(l.lines.length + 1);
        const base = indentOf(l.lines[i] ?? '').length;
        const block: string[] = [];
        for (let k = 0; k < Math.min(d, 400); k++) block.push(' '.repeat(base + 2 * k) + (rng.chance(0.3) ? '- ' : '') + `k${k}:`);
        l.lines.splice(i, 0, ...block);
        return fromLines(l);
      }
      replaceValue(l, rng, v);
      return fromLines(l);
    },
  },
  aliasAnnotation: {
    weight: 6,
    apply: (t, rng) => {
      const l = toLines(t);
      const ann = l.lines.map((s, i) => (/^\s*annotations:\s*$/.test(s) ? i : -1)).filter((i) => i >= 0);
      const vals = l.lines.map((s, i) => (/^\s+[\w./-]+(istio|drain)[\w./-]*:\s+\S/.test(s) ? i : -1)).filter((i) => i >= 0);
      const choice = rng.int(5);
      if (choice === 0 && ann.length > 0) {
        // An anchor on an annotations map, used again elsewhere.
        const i = rng.pick(ann);
        l.lines[i] = l.lines[i]!.replace(/annotations:/, 'annotations: &ann');
        const j = rng.pick(ann);
        if (j !== i && j > i) l.lines[j] = l.lines[j]!.replace(/annotations:.*$/, 'annotations: *ann');
        else l.lines.splice(l.lines.length, 0, '---', 'kind: Pod', 'metadata:', '  annotations: *ann');
      } else if (choice === 1 && vals.length > 0) {
        // An annotation value that is an alias to a scalar defined elsewhere.
        const i = rng.pick(vals);
        l.lines[i] = l.lines[i]!.replace(/:\s+.*$/, ': *v');
        l.lines.unshift(`x-anchor: &v ${rng.pick(['"terminationDrainDuration: 99s"', '99s', 'true', '{terminationDrainDuration: 9s}', '[1, 2]'])}`);
      } else if (choice === 2 && vals.length > 0) {
        // An anchor on an annotation value and an alias to it under another key.
        const i = rng.pick(vals);
        l.lines[i] = l.lines[i]!.replace(/:(\s+)/, ':$1&pc ');
        l.lines.splice(i + 1, 0, `${indentOf(l.lines[i]!)}${rng.pick(INTERESTING_KEYS)}: *pc`);
      } else if (choice === 3) {
        // A small alias bomb next to the annotations.
        const i = ann.length > 0 ? rng.pick(ann) + 1 : rng.int(l.lines.length + 1);
        const ind = indentOf(l.lines[i] ?? '  ');
        const bomb = [`${ind}b0: &b0 [x, x, x, x, x, x, x, x, x, x]`];
        for (let k = 1; k < 8; k++) bomb.push(`${ind}b${k}: &b${k} [${Array.from({ length: 10 }, () => `*b${k - 1}`).join(', ')}]`);
        bomb.push(`${ind}proxy.istio.io/config: *b7`);
        l.lines.splice(i, 0, ...bomb);
      } else {
        // An alias to an undefined or later anchor.
        replaceValue(l, rng, rng.pick(['*nowhere', '*ann', '&dup x', '!!merge <<']));
      }
      return fromLines(l);
    },
  },
  typeConfusion: {
    weight: 8,
    apply: (t, rng) => {
      const l = toLines(t);
      replaceValue(l, rng, rng.pick(TYPE_CONFUSION), rng.chance(0.6) ? (s) => /(istio|drain|Drain|grace|Grace|sleep|preStop|lifecycle|inject|EXIT|native|command):\s*\S/.test(s) : undefined);
      return fromLines(l);
    },
  },
  interestingKey: {
    weight: 8,
    apply: (t, rng) => {
      const l = toLines(t);
      const i = lineIndexOf(l, rng, (s) => /^\s*(-\s+)?[\w./-]+:/.test(s));
      l.lines[i] = (l.lines[i] ?? '').replace(/^(\s*(?:-\s+)?)[\w./-]+:/, `$1${rng.pick(INTERESTING_KEYS)}:`);
      return fromLines(l);
    },
  },
  lineEndings: {
    weight: 4,
    apply: (t, rng) => {
      const k = rng.int(4);
      if (k === 0) return t.replace(/\r?\n/g, '\r\n');
      if (k === 1) return t.replace(/\r?\n/g, '\r');
      if (k === 2) return t.replace(/\r\n/g, '\n');
      return t.replace(/\r?\n/g, () => rng.pick(['\n', '\r\n', '\r']));
    },
  },
  documentMarker: {
    weight: 4,
    apply: (t, rng) => {
      const l = toLines(t);
      l.lines.splice(rng.int(l.lines.length + 1), 0, rng.pick(['---', '...', '--- !!map', '%YAML 1.1', '--- |', '---\t# c', '... # end']));
      return fromLines(l);
    },
  },
  yaml11: {
    weight: 4,
    apply: (t, rng) => {
      let s = t.replace(/"(true|false)"/g, () => rng.pick(['yes', 'no', 'on', 'off', 'y', 'n', 'True', 'FALSE']));
      if (rng.chance(0.3)) s = `%YAML 1.1\n---\n${s}`;
      return s;
    },
  },
  mergeKey: {
    weight: 3,
    apply: (t, rng) => {
      const l = toLines(t);
      const i = lineIndexOf(l, rng, (s) => /^\s+[\w.-]+:\s+\S/.test(s));
      const ind = indentOf(l.lines[i] ?? '');
      l.lines.splice(i, 0, `${ind}<<: ${rng.pick(['{terminationGracePeriodSeconds: 100}', '*ann', '[*a, *b]', '{proxy.istio.io/config: "terminationDrainDuration: 90s"}', '{}'])}`);
      return fromLines(l);
    },
  },
  splice: {
    weight: 5,
    apply: (t, rng, seeds) => {
      const other = toLines(rng.pick(seeds).text);
      const l = toLines(t);
      const from = rng.int(other.lines.length);
      const chunk = other.lines.slice(from, from + 1 + rng.int(30));
      l.lines.splice(rng.int(l.lines.length + 1), 0, ...chunk);
      return fromLines(l);
    },
  },
  hugeLine: {
    weight: 1,
    apply: (t, rng) => {
      const l = toLines(t);
      const n = 1000 + rng.int(200000);
      replaceValue(l, rng, rng.pick([`"${'x'.repeat(n)}"`, 'y'.repeat(n), `[${Array.from({ length: n / 10 }, (_, k) => k).join(',')}]`, `'${'{"terminationDrainDuration": "5s", '.repeat(n / 40)}"a": 1}'`]));
      return fromLines(l);
    },
  },
};

const WEIGHTED: string[] = Object.entries(MUTATIONS).flatMap(([k, m]) => Array.from({ length: m.weight }, () => k));

const SETTING_VARIANTS: Partial<Settings>[] = [
  {},
  {},
  { istioVersion: '1.20', kubernetesVersion: '1.28' },
  { istioVersion: '1.27', kubernetesVersion: '1.33' },
  { istioVersion: '1.10' },
  { nativeSidecars: 'on' },
  { nativeSidecars: 'off', assumeInjection: 'always' },
  { assumeInjection: 'always', defaultDrainDuration: '60s' },
  { inlineSuppressions: false, shutdownMargin: '0s' },
  { assumeInjection: 'never' },
];

export interface FuzzCase {
  index: number;
  seedFile: string;
  mutations: string[];
  settings: Partial<Settings>;
  text: string;
}

/** Case `index` of `seed`: a pure function of both and of the seed files. */
export function makeCase(seed: number, index: number, seeds: readonly SeedFile[]): FuzzCase {
  const rng = new Rng(seed, index);
  const base = rng.pick(seeds);
  const n = 1 + rng.int(rng.chance(0.3) ? 6 : 3);
  const mutations: string[] = [];
  let text = base.text;
  for (let k = 0; k < n; k++) {
    const m = rng.pick(WEIGHTED);
    mutations.push(m);
    text = MUTATIONS[m]!.apply(text, rng, seeds);
  }
  const settings = rng.chance(0.5) ? {} : rng.pick(SETTING_VARIANTS);
  return { index, seedFile: base.name, mutations, settings, text };
}

// ---------------------------------------------------------------------------------------------
// Checking one case.

export interface CaseOutcome {
  violations: Violation[];
  ms: number;
  findings: number;
  fixes: number;
}

/** Run the engine on a text and check every invariant; never throws. */
export function checkText(text: string, settings: Settings, opts: { fixSafety: boolean; maxMs: number; uri?: string }): CaseOutcome {
  const uri = opts.uri ?? 'file:///fuzz/case.yaml';
  const violations: Violation[] = [];
  const t0 = performance.now();
  let result: FileResult;
  try {
    result = analyzeFiles([{ uri, text, settings }])[0]!;
  } catch (e) {
    return { violations: [{ invariant: 'the engine never throws', detail: e instanceof Error ? (e.stack ?? e.message) : String(e) }], ms: performance.now() - t0, findings: 0, fixes: 0 };
  }
  const ms = performance.now() - t0;
  if (ms > opts.maxMs) violations.push({ invariant: 'each input takes bounded time', detail: `${Math.round(ms)} ms for ${text.length} characters` });
  violations.push(...checkResult(result));
  // Hovers at a few offsets (the language server calls them on any position).
  try {
    const lines = new LineIndex(text);
    for (const o of [0, text.length, ...result.findings.map((f) => f.range.start), ...result.pods.map((p) => p.pod.object.range.start + 3)].slice(0, 12)) {
      hoverAt(result, o, (s) => describeSource(s, uri, lines));
    }
  } catch (e) {
    violations.push({ invariant: 'hovers never throw', detail: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
  let fixes = 0;
  if (opts.fixSafety && violations.length === 0) {
    const analyze = (t: string): FileResult => analyzeFiles([{ uri, text: t, settings }])[0]!;
    for (const finding of result.findings) {
      for (const fix of finding.fixes) {
        fixes++;
        try {
          violations.push(...checkFix({ uri, before: result, finding, fix, analyze }).violations);
        } catch (e) {
          violations.push({ invariant: 'the engine never throws', detail: `after a fix: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
        }
      }
    }
  }
  return { violations, ms, findings: result.findings.length, fixes };
}

// ---------------------------------------------------------------------------------------------
// Seeds.

export function loadSeeds(opts: { corpus: boolean; maxSeedBytes: number }): SeedFile[] {
  const files = [...yamlFilesUnder(join(REPO, 'test', 'fixtures')), ...yamlFilesUnder(join(REPO, 'samples')), ...yamlFilesUnder(join(REPO, 'test', 'nvim'))];
  const seeds: SeedFile[] = files.map((f) => {
    const text = readFileSync(f, 'utf8');
    return { name: relative(REPO, f), text, settings: settingsOf(text) };
  });
  if (opts.corpus)
    for (const f of yamlFilesUnder(CORPUS)) {
      const text = readFileSync(f, 'utf8');
      if (text.length <= opts.maxSeedBytes) seeds.push({ name: `corpus/${relative(CORPUS, f)}`, text, settings: defaultSettings() });
    }
  return seeds;
}

// ---------------------------------------------------------------------------------------------
// Workers and the driver.

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** First case index (cases [first, first + cases)). */
  first?: number;
  workers: number;
  corpus: boolean;
  maxSeedBytes: number;
  fixSafety: boolean;
  /** A case taking longer than this fails the time invariant (measured). */
  maxMs: number;
  /** A case running longer than this is killed as a hang. */
  hangMs: number;
  /** Memory cap of each worker, MB. */
  memoryMb: number;
  /** Progress lines on stderr. */
  progress?: boolean;
}

export interface Failure {
  index: number;
  seedFile?: string;
  mutations?: string[];
  violations: Violation[];
}

export interface FuzzReport {
  seed: number;
  cases: number;
  seeds: number;
  failures: Failure[];
  ms: number;
  slowestMs: number;
  findings: number;
  fixes: number;
}

type WorkerMessage =
  | { type: 'ready'; seeds: number }
  | { type: 'start'; index: number }
  | { type: 'done'; index: number; ms: number; findings: number; fixes: number }
  | { type: 'fail'; failure: Failure }
  | { type: 'end' };

/** Run cases in worker processes; resolves with every failure (hangs and crashes included). */
export function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const first = opts.first ?? 0;
  const end = first + opts.cases;
  const report: FuzzReport = { seed: opts.seed, cases: 0, seeds: 0, failures: [], ms: 0, slowestMs: 0, findings: 0, fixes: 0 };
  let lastProgress = Date.now();
  return new Promise((resolve) => {
    let running = 0;
    const startWorker = (w: number, from: number): void => {
      if (from >= end) return;
      running++;
      let current = -1;
      let stderr = '';
      let ended = false;
      let hung = false;
      const child: ChildProcess = fork(__filename, ['--worker', JSON.stringify({ ...opts, from, step: opts.workers, end })], {
        execArgv: [`--max-old-space-size=${opts.memoryMb}`],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      child.stderr!.on('data', (d) => {
        stderr = (stderr + String(d)).slice(-4000);
      });
      let watchdog: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          hung = true;
          report.failures.push({ index: current, violations: [{ invariant: 'each input takes bounded time', detail: `no answer within ${opts.hangMs} ms: killed` }] });
          child.kill('SIGKILL');
        }, opts.hangMs);
      };
      arm();
      child.on('message', (m: WorkerMessage) => {
        arm();
        if (m.type === 'ready') report.seeds = m.seeds;
        else if (m.type === 'start') current = m.index;
        else if (m.type === 'done') {
          report.cases++;
          report.findings += m.findings;
          report.fixes += m.fixes;
          report.slowestMs = Math.max(report.slowestMs, m.ms);
          if (opts.progress && Date.now() - lastProgress > 10000) {
            lastProgress = Date.now();
            process.stderr.write(`fuzz: ${report.cases}/${opts.cases} cases, ${report.failures.length} failure(s), ${Math.round((Date.now() - t0) / 1000)} s\n`);
          }
        } else if (m.type === 'fail') report.failures.push(m.failure);
        else if (m.type === 'end') ended = true;
      });
      child.on('exit', (code, signal) => {
        clearTimeout(watchdog);
        running--;
        if (!ended) {
          if (!hung) report.failures.push({ index: current, violations: [{ invariant: 'the engine never crashes', detail: `worker exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-6).join(' | ')}` }] });
          // Carry on after the case that took the worker down (a worker that died before its first case is not restarted).
          if (current >= 0) startWorker(w, current + opts.workers);
        }
        if (running === 0) {
          report.ms = Date.now() - t0;
          report.failures.sort((a, b) => a.index - b.index);
          resolve(report);
        }
      });
    };
    for (let w = 0; w < opts.workers; w++) startWorker(w, first + w);
    if (running === 0) resolve(report);
  });
}

function worker(cfg: FuzzOptions & { from: number; step: number; end: number }): void {
  const seeds = loadSeeds(cfg);
  const send = (m: WorkerMessage): void => void process.send!(m);
  send({ type: 'ready', seeds: seeds.length });
  for (let i = cfg.from; i < cfg.end; i += cfg.step) {
    send({ type: 'start', index: i });
    let c: FuzzCase;
    try {
      c = makeCase(cfg.seed, i, seeds);
    } catch (e) {
      send({ type: 'fail', failure: { index: i, violations: [{ invariant: 'the fuzzer makes its case', detail: String(e) }] } });
      continue;
    }
    const base = seeds.find((s) => s.name === c.seedFile)!.settings;
    const out = checkText(c.text, mergeSettings(base, c.settings), cfg);
    if (out.violations.length > 0) send({ type: 'fail', failure: { index: i, seedFile: c.seedFile, mutations: c.mutations, violations: out.violations } });
    send({ type: 'done', index: i, ms: out.ms, findings: out.findings, fixes: out.fixes });
  }
  send({ type: 'end' });
  process.disconnect();
}

// ---------------------------------------------------------------------------------------------
// Command line.

function parseCli(argv: readonly string[]): { opts: FuzzOptions; one?: number; out?: string; regressions?: string } {
  const opts: FuzzOptions = {
    seed: Math.floor(Math.random() * 0x7fffffff),
    cases: 100000,
    workers: 2,
    corpus: true,
    maxSeedBytes: 64 * 1024,
    fixSafety: true,
    maxMs: 10000,
    hangMs: 30000,
    memoryMb: 1024,
    progress: true,
  };
  let one: number | undefined;
  let out: string | undefined;
  let regressions: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--seed') opts.seed = Number(v());
    else if (a === '--cases') opts.cases = Number(v());
    else if (a === '--first') opts.first = Number(v());
    else if (a === '--case') one = Number(v());
    else if (a === '--workers') opts.workers = Math.max(1, Number(v()));
    else if (a === '--max-seed-bytes') opts.maxSeedBytes = Number(v());
    else if (a === '--max-ms') opts.maxMs = Number(v());
    else if (a === '--hang-ms') opts.hangMs = Number(v());
    else if (a === '--memory-mb') opts.memoryMb = Number(v());
    else if (a === '--no-corpus') opts.corpus = false;
    else if (a === '--no-fix-safety') opts.fixSafety = false;
    else if (a === '--out') out = v();
    else if (a === '--regressions') regressions = v();
    else throw new Error(`unknown option ${a}`);
  }
  for (const [k, x] of Object.entries({ seed: opts.seed, cases: opts.cases, workers: opts.workers })) if (!Number.isInteger(x) || x < 0) throw new Error(`--${k} must be a non-negative integer`);
  return { opts, one, out, regressions };
}

function describeFailure(seed: number, f: Failure): string {
  const head = `seed ${seed} case ${f.index}${f.seedFile ? ` (${f.seedFile}; ${f.mutations?.join(', ')})` : ''}`;
  return [head, ...f.violations.slice(0, 5).map((v) => `    ${v.invariant}: ${v.detail.split('\n').slice(0, 4).join(' | ').slice(0, 600)}`), f.violations.length > 5 ? `    (+${f.violations.length - 5} more)` : ''].filter(Boolean).join('\n');
}

async function main(): Promise<number> {
  const { opts, one, out, regressions } = parseCli(process.argv.slice(2));
  const dir = out ?? join(tmpdir(), `drainguard-fuzz-${opts.seed}`);
  if (one !== undefined) {
    const seeds = loadSeeds(opts);
    const c = makeCase(opts.seed, one, seeds);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `case-${one}.yaml`);
    writeFileSync(file, c.text);
    const base = seeds.find((s) => s.name === c.seedFile)!.settings;
    const r = checkText(c.text, mergeSettings(base, c.settings), opts);
    process.stdout.write(`seed ${opts.seed} case ${one}: ${c.seedFile}; ${c.mutations.join(', ')}; settings ${JSON.stringify(c.settings)}\ninput: ${file}\n${r.violations.length === 0 ? 'ok' : r.violations.map((v) => `${v.invariant}: ${v.detail}`).join('\n')}\n`);
    return r.violations.length === 0 ? 0 : 1;
  }
  process.stdout.write(`fuzz: seed ${opts.seed}, ${opts.cases} cases from ${opts.first ?? 0}, ${opts.workers} worker(s)${opts.fixSafety ? ', fix safety on' : ''}\n`);
  const report = await runFuzz(opts);
  const seeds = report.failures.length > 0 ? loadSeeds(opts) : [];
  for (const f of report.failures) {
    process.stdout.write(describeFailure(opts.seed, f) + '\n');
    if (f.index < 0) continue;
    const c = makeCase(opts.seed, f.index, seeds);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `case-${f.index}.yaml`), c.text);
    if (regressions) {
      mkdirSync(regressions, { recursive: true });
      const head = `# Found by the fuzzer: seed ${opts.seed} case ${f.index} (${c.seedFile}; ${c.mutations.join(', ')}).\n# ${f.violations[0]?.invariant}\n${Object.keys(c.settings).length ? `# settings: ${JSON.stringify(c.settings)}\n` : ''}`;
      writeFileSync(join(regressions, `regression-fuzz-${opts.seed}-${f.index}.yaml`), head + c.text);
    }
  }
  process.stdout.write(
    `fuzz: seed ${opts.seed}: ${report.cases} cases (${report.seeds} seed files, ${report.findings} findings, ${report.fixes} fixes checked) in ${Math.round(report.ms / 1000)} s, slowest case ${Math.round(report.slowestMs)} ms: ${report.failures.length === 0 ? 'no failure' : `${report.failures.length} failure(s); inputs in ${dir}; reproduce one with npm run fuzz -- --seed ${opts.seed} --case N`}\n`,
  );
  return report.failures.length === 0 ? 0 : 1;
}

if (require.main === module) {
  const i = process.argv.indexOf('--worker');
  if (i >= 0) worker(JSON.parse(process.argv[i + 1]!));
  else
    main().then(
      (code) => (process.exitCode = code),
      (e) => {
        process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
      },
    );
}
