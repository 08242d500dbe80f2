/**
 * `npm run bench`: Drainguard's speed against the parser it is built on and against the YAML
 * language server people already run, in one run on one machine. It prints a table and writes
 * bench-results/results.json (with every sample). A benchmark, never a test: it reports medians
 * and ratios, and says which goals the ratios meet.
 *
 *   node --expose-gc out/bench/run.js [--quick] [--only parse,lsp,memory,cli]
 *
 * 1. Cold analysis against bare `yaml.parseAllDocuments` (library defaults) on every file of
 *    ../shared/corpus/large/ and on generated workload manifests (×1, ×2, ×4, ×8), each side in
 *    processes of its own (`measure.ts`), alternating; the analysis is what the language server
 *    runs on open (`updateOpenFile` + `analyzeOpenFile`, from no state).
 * 2. Over LSP, the built server and yaml-language-server (pinned devDependency; validation on,
 *    no schema, no schema store: its lightest mode), driven by the same client (`lsp.ts`):
 *    didOpen to diagnostics, and 50 one-character insertions at spread lines to diagnostics.
 * 3. The server's resident memory with every large/ file open; the CLI over the whole corpus
 *    against a script that discovers, reads and bare-parses the same files (`read-parse.ts`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineIndex } from '../server/src/engine/text';
import { startSession, type ServerSpec } from './lsp';
import { workloadManifest } from './workloads';

const REPO = join(__dirname, '..', '..');
const CORPUS = join(REPO, '..', 'shared', 'corpus');
const LARGE = join(CORPUS, 'large');
const OUT = join(REPO, 'bench-results');
const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const only = args.includes('--only') ? new Set((args[args.indexOf('--only') + 1] ?? '').split(',')) : undefined;
const want = (part: string): boolean => !only || only.has(part);

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const r2 = (x: number): number => Math.round(x * 1000) / 1000;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}
const goals: Goal[] = [];
const results: Record<string, unknown> = {};

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

interface Target {
  name: string;
  text: string;
  /** The generated workload manifests: their ×1 is the 60,000-line file. */
  scale?: number;
}

function targets(): Target[] {
  const out: Target[] = readdirSync(LARGE)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ name: f, text: readFileSync(join(LARGE, f), 'utf8') }));
  for (const scale of QUICK ? [1, 2] : [1, 2, 4, 8]) out.push({ name: `workloads ×${scale}`, text: workloadManifest(2000 * scale), scale });
  return out;
}

/**
 * Part 1: cold analysis against the bare parse. Each side runs in its own process (`measure.ts`:
 * warm-up runs, then timed runs), the two alternating round by round so that both see the same
 * drift in machine load; the ratio is the median of the per-round ratios of medians. Both sides
 * warm up for at least WARM_UP_MS (and WARM_UP_RUNS runs) before the timed runs, so that what is
 * compared is the work, not how far V8 has got in compiling it; the first run of each process
 * (nothing compiled yet) is reported beside it.
 */
const WARM_UP_RUNS = 5;
const WARM_UP_MS = 1500;
type PvaRow = { parse: number; analysis: number; ratio: number; floor: number; firstParse: number; firstAnalysis: number };
/** One side of a comparison in a process of its own (`measure.ts`). */
function measure(kind: 'parse' | 'kept' | 'analysis', t: Target, warm: number, runs: number, warmMs: number): { first: number; times: number[] } {
  return JSON.parse(execFileSync(process.execPath, [join(REPO, 'out', 'bench', 'measure.js'), kind, t.scale ? `workloads:${2000 * t.scale}` : join(LARGE, t.name), String(warm), String(runs), String(warmMs)], { encoding: 'utf8', maxBuffer: 1 << 24 })) as {
    first: number;
    times: number[];
  };
}

/**
 * Scaling from ×1 to ×k, analysis time per workload, in paired rounds: each round times the ×1
 * analysis (warmed up as above) and right after it the ×k one (two warm-up runs, which grow the
 * heap to the size the timed runs need), and the figure is the median of the per-round ratios.
 * Comparing medians taken minutes apart measured the VM's load as much as the analysis: in one
 * run the ×1 analysis took 73 ms, and 104 ms a few minutes later.
 */
function scalingRounds(w1: Target, wk: Target, k: number): { ratio: number; rounds: number[] } {
  const rounds: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const a1 = median(measure('analysis', w1, WARM_UP_RUNS, 7, WARM_UP_MS).times);
    const ak = median(measure('analysis', wk, 2, 3, 0).times);
    rounds.push(ak / k / a1);
  }
  return { ratio: median(rounds), rounds };
}

function parseVsAnalysis(list: Target[]): Map<string, PvaRow> {
  const table = new Map<string, PvaRow>();
  const rows: Record<string, unknown>[] = [];
  for (const t of list) {
    const big = t.text.length > 3e6;
    const rounds = QUICK ? 1 : big ? 2 : 3;
    // The ×4 and ×8 workload files take seconds a run: one warm-up run is already thousands of documents.
    const warm = big ? 1 : QUICK ? 5 : WARM_UP_RUNS;
    const warmMs = big || QUICK ? 0 : WARM_UP_MS;
    const runs = QUICK ? 2 : big ? 2 : 7;
    const parse: number[] = [];
    const analysis: number[] = [];
    const ratios: number[] = [];
    const floors: number[] = [];
    const firstParse: number[] = [];
    const firstAnalysis: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const p = measure('parse', t, warm, runs, warmMs);
      const a = measure('analysis', t, warm, runs, warmMs);
      // Workloads keep every document: their floor is the whole parse.
      const k = t.scale ? p : measure('kept', t, warm, runs, warmMs);
      parse.push(...p.times);
      analysis.push(...a.times);
      firstParse.push(p.first);
      firstAnalysis.push(a.first);
      ratios.push(median(a.times) / median(p.times));
      floors.push(median(k.times) / median(p.times));
    }
    const row = { parse: median(parse), analysis: median(analysis), ratio: median(ratios), floor: median(floors), firstParse: median(firstParse), firstAnalysis: median(firstAnalysis) };
    table.set(t.name, row);
    rows.push({ file: t.name, lines: new LineIndex(t.text).lineCount, bytes: t.text.length, rounds, warmUpRuns: warm, warmUpMs: warmMs, timedRunsPerRound: runs, ...row, parseSamples: parse, analysisSamples: analysis });
    log(`  ${t.name}: parse ${fmt(row.parse)}, analysis ${fmt(row.analysis)}, ratio ${row.ratio.toFixed(3)} (first runs: ${fmt(row.firstParse)}, ${fmt(row.firstAnalysis)})`);
  }
  results.parseVsAnalysis = rows;
  return table;
}

/** Line and character of an offset (the client's side of an edit). */
function position(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, character: offset - start };
}

const DRAINGUARD: ServerSpec = { name: 'drainguard', command: [process.execPath, join(REPO, 'dist', 'server.js'), '--stdio'], settings: { drainguard: {} } };
const YAML_LS: ServerSpec = {
  name: 'yaml-language-server',
  command: [process.execPath, join(REPO, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server'), '--stdio'],
  // Its lightest mode: validation on, no schema, no schema store, no Kubernetes CRD store.
  settings: { yaml: { validate: true, schemas: {}, schemaStore: { enable: false }, kubernetesCRDStore: { enable: false }, format: { enable: false }, hover: false, completion: false } },
};

interface LspRow {
  server: string;
  file: string;
  /** didOpen to diagnostics, the first file of a server that has just started (its code not yet warmed up). */
  openFirst: number;
  openFirstSamples: number[];
  /** didOpen to diagnostics in a server that has already analysed another file (samples/), as in an editor session. */
  open: number;
  openSamples: number[];
  editP50: number;
  editP95: number;
  editSamples: number[];
  diagnostics: number;
}

/** How long each server is left idle between the small file and the measured one. */
const IDLE_MS = 3000;
/** The small file each server sees first in the running-server measurements. */
const WARM_UP = join(REPO, 'samples', 'checkout-deployment.yaml');

/** Part 2: open and edit latency over LSP. */
async function lsp(files: Target[]): Promise<LspRow[]> {
  const rows: LspRow[] = [];
  const opens = QUICK ? 2 : 3;
  const edits = QUICK ? 10 : 50;
  const warmUp = readFileSync(WARM_UP, 'utf8');
  for (const t of files) {
    for (const spec of [DRAINGUARD, YAML_LS]) {
      const uri = pathToFileURL(join(OUT, t.name.replace(/[^\w.-]+/g, '_'))).toString();
      const openFirstSamples: number[] = [];
      const openSamples: number[] = [];
      const editSamples: number[] = [];
      let diagnostics = 0;
      for (let i = 0; i < opens; i++) {
        const first = await startSession(spec);
        openFirstSamples.push((await first.open(uri, t.text)).ms);
        await first.close();
        const s = await startSession(spec);
        await s.open(pathToFileURL(WARM_UP).toString(), warmUp);
        // A running server has been idle a while before the next file opens (and warms up then: server/src/lsp/warm-up.ts).
        await new Promise((r) => setTimeout(r, IDLE_MS));
        const r = await s.open(uri, t.text);
        openSamples.push(r.ms);
        diagnostics = r.count;
        if (i === opens - 1) {
          // The edits, in the last running server: one character at the end of a line, at evenly spread places.
          let text = t.text;
          for (let k = 0; k < edits; k++) {
            const at = text.indexOf('\n', Math.floor(((k + 0.5) / edits) * text.length));
            const offset = at < 0 ? text.length : at;
            const pos = position(text, offset);
            editSamples.push((await s.change(uri, k + 2, pos, pos, 'x')).ms);
            text = text.slice(0, offset) + 'x' + text.slice(offset);
          }
        }
        await s.close();
      }
      const row: LspRow = {
        server: spec.name,
        file: t.name,
        openFirst: median(openFirstSamples),
        openFirstSamples,
        open: median(openSamples),
        openSamples,
        editP50: median(editSamples),
        editP95: quantile(editSamples, 0.95),
        editSamples,
        diagnostics,
      };
      rows.push(row);
      log(`  ${spec.name} on ${t.name}: open ${fmt(row.open)} (first file of a new server ${fmt(row.openFirst)}), edit p50 ${fmt(row.editP50)}, p95 ${fmt(row.editP95)} (${diagnostics} diagnostics)`);
    }
  }
  results.lsp = rows;
  return rows;
}

/** Part 3a: the server's memory with every large/ file open. */
async function memory(): Promise<{ rssMb: number; peakMb: number; files: number }> {
  const s = await startSession(DRAINGUARD);
  const files = readdirSync(LARGE).filter((f) => /\.ya?ml$/.test(f));
  for (const f of files) await s.open(pathToFileURL(join(LARGE, f)).toString(), readFileSync(join(LARGE, f), 'utf8'));
  // Let the server settle (collect what the opens left) before reading its resident size.
  await new Promise((r) => setTimeout(r, 2000));
  const m = s.memory() ?? { rssMb: NaN, peakMb: NaN };
  await s.close();
  const out = { ...m, files: files.length };
  results.memory = out;
  log(`  drainguard with ${files.length} large files open: ${m.rssMb.toFixed(0)} MB resident (peak ${m.peakMb.toFixed(0)} MB)`);
  return out;
}

/** Part 3b: the CLI over the corpus against discovering, reading and bare-parsing it. */
function cli(): { cli: number; baseline: number; ratio: number; files: number } {
  const n = QUICK ? 1 : 3;
  const cliSamples: number[] = [];
  const baseSamples: number[] = [];
  const ratios: number[] = [];
  let files = 0;
  for (let i = 0; i < n; i++) {
    let t0 = now();
    const b = execFileSync(process.execPath, [join(REPO, 'out', 'bench', 'read-parse.js'), CORPUS], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const base = now() - t0;
    files = (JSON.parse(b) as { files: number }).files;
    t0 = now();
    // Exit status 1 (there are findings) is the expected outcome here.
    const r = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'check', CORPUS, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const c = now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`drainguard check failed (${r.status}): ${r.stderr.slice(0, 500)}`);
    baseSamples.push(base);
    cliSamples.push(c);
    ratios.push(c / base);
  }
  const out = { cli: median(cliSamples), baseline: median(baseSamples), ratio: median(ratios), files, cliSamples, baselineSamples: baseSamples };
  results.cli = out;
  log(`  CLI over ${files} files: ${fmt(out.cli)}; read + bare parse ${fmt(out.baseline)}; ratio ${out.ratio.toFixed(2)}`);
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  results.machine = machine();
  const out: string[] = [];
  const list = targets();
  writeFileSync(join(OUT, 'workloads-x1.yaml'), list.find((t) => t.scale === 1)!.text);
  let pva: Map<string, PvaRow> | undefined;
  if (want('parse') || want('lsp')) {
    log('1. cold analysis against bare parseAllDocuments');
    pva = parseVsAnalysis(want('parse') ? list : list.filter((t) => t.scale === 1 || t.name.startsWith('argoproj')));
    const rows = [['file', 'lines', 'parseAllDocuments', 'cold analysis', 'ratio', 'floor', 'first run: parse / analysis']];
    for (const t of list) {
      const r = pva.get(t.name);
      if (r)
        rows.push([
          t.name.length > 48 ? `${t.name.slice(0, 45)}...` : t.name,
          String(new LineIndex(t.text).lineCount),
          fmt(r.parse),
          fmt(r.analysis),
          r.ratio.toFixed(3),
          r.floor.toFixed(3),
          `${fmt(r.firstParse)} / ${fmt(r.firstAnalysis)}`,
        ]);
    }
    out.push(
      `Cold analysis against bare yaml.parseAllDocuments (medians of timed runs after each side warmed up for ${WARM_UP_MS / 1000} s and at least ${WARM_UP_RUNS} runs (×4, ×8: 1 run),`,
      'each side in its own processes; ratio = median of per-round ratios; floor = the same bare parse of only the documents the analysis keeps, against',
      'the whole file: what any analysis that parses them must pay; first run = the first run of a new process, before V8 has compiled anything)',
      table(rows),
      '',
    );
    for (const t of list.filter((x) => !x.scale)) {
      const r = pva.get(t.name);
      if (r) goals.push({ goal: `cold analysis ≤ 0.25 × parse: ${t.name.slice(0, 40)}`, measured: r.ratio.toFixed(3), met: r.ratio <= 0.25 });
    }
    const w1 = pva.get('workloads ×1');
    if (w1) goals.push({ goal: 'cold analysis ≤ 1.3 × parse: workloads ×1 (every document matters)', measured: w1.ratio.toFixed(3), met: w1.ratio <= 1.3 });
    const w8 = pva.get(`workloads ×${QUICK ? 2 : 8}`);
    if (w1 && w8) {
      const k = QUICK ? 2 : 8;
      const apart = w8.analysis / k / w1.analysis;
      const parseScaling = w8.parse / k / w1.parse;
      log(`  scaling ×1 → ×${k}: paired rounds`);
      const paired = scalingRounds(list.find((t) => t.scale === 1)!, list.find((t) => t.scale === k)!, k);
      const scaling = paired.ratio;
      results.scaling = { scale: k, analysisPerWorkloadRatio: r2(scaling), pairedRounds: paired.rounds.map(r2), fromTableMedians: r2(apart), parsePerWorkloadRatio: r2(parseScaling) };
      log(`  scaling ×1 → ×${k}: ${scaling.toFixed(3)} (rounds ${paired.rounds.map((r) => r.toFixed(3)).join(', ')}; from the table's medians ${apart.toFixed(3)})`);
      goals.push({ goal: `linear scaling ×1 → ×${k} within 10 % (analysis time per workload, paired rounds)`, measured: `${scaling.toFixed(3)} (table medians: ${apart.toFixed(3)}; parse: ${parseScaling.toFixed(3)})`, met: scaling <= 1.1 && scaling >= 0.9 });
      for (const t of list.filter((x) => x.scale && x.scale <= k)) {
        const r = pva.get(t.name)!;
        goals.push({ goal: `cold analysis ≤ 1.3 × parse: ${t.name}`, measured: r.ratio.toFixed(3), met: r.ratio <= 1.3 });
      }
    }
  }
  if (want('lsp')) {
    log('2. LSP: open and edits, drainguard and yaml-language-server');
    const files = list.filter((t) => t.name.startsWith('argoproj') || t.scale === 1);
    const rows = await lsp(files);
    const trows = [['file', 'server', 'open (running server)', 'open (new server)', 'edit p50', 'edit p95', 'diagnostics']];
    for (const r of rows) trows.push([r.file.slice(0, 40), r.server, fmt(r.open), fmt(r.openFirst), fmt(r.editP50), fmt(r.editP95), String(r.diagnostics)]);
    out.push(
      `Over LSP, the same client for both servers. Open: didOpen to diagnostics in a running server (it has analysed a file of samples/ and been idle ${IDLE_MS / 1000} s), and as the first file of a newly started server.`,
      `Edits: ${QUICK ? 10 : 50} one-character insertions at spread lines, didChange to diagnostics.`,
      table(trows),
      '',
    );
    for (const f of files) {
      const dg = rows.find((r) => r.file === f.name && r.server === 'drainguard')!;
      const yls = rows.find((r) => r.file === f.name && r.server !== 'drainguard')!;
      const parse = pva?.get(f.name)?.parse ?? NaN;
      const short = f.name.slice(0, 30);
      goals.push({ goal: `edit p95 ≤ 0.03 × parse (${short})`, measured: `${(dg.editP95 / parse).toFixed(4)} (${fmt(dg.editP95)} / ${fmt(parse)})`, met: dg.editP95 <= 0.03 * parse });
      goals.push({ goal: `edits ≥ 20 × faster than yaml-language-server (${short}, p95)`, measured: `${(yls.editP95 / dg.editP95).toFixed(1)}× (p50 ${(yls.editP50 / dg.editP50).toFixed(1)}×)`, met: yls.editP95 / dg.editP95 >= 20 });
      goals.push({ goal: `open ≥ 10 × faster than yaml-language-server (${short}, running server)`, measured: `${(yls.open / dg.open).toFixed(1)}×`, met: yls.open / dg.open >= 10 });
      goals.push({ goal: `open ≥ 10 × faster than yaml-language-server (${short}, first file of a new server)`, measured: `${(yls.openFirst / dg.openFirst).toFixed(1)}×`, met: yls.openFirst / dg.openFirst >= 10 });
    }
  }
  if (want('memory')) {
    log('3a. server memory with every large file open');
    const m = await memory();
    out.push(`Server resident memory with all ${m.files} large/ files open: ${m.rssMb.toFixed(0)} MB (peak ${m.peakMb.toFixed(0)} MB)`, '');
    goals.push({ goal: 'server memory ≤ 200 MB resident, every large/ file open', measured: `${m.rssMb.toFixed(0)} MB (peak ${m.peakMb.toFixed(0)} MB)`, met: m.rssMb <= 200 });
  }
  if (want('cli')) {
    log('3b. CLI over the corpus');
    const c = cli();
    out.push(`CLI over the corpus (${c.files} files): ${fmt(c.cli)}; discovering, reading and bare-parsing them: ${fmt(c.baseline)}; ratio ${c.ratio.toFixed(2)}`, '');
    goals.push({ goal: 'CLI over the corpus ≤ 1.5 × read + bare parse', measured: c.ratio.toFixed(2), met: c.ratio <= 1.5 });
  }
  (results.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const m = results.machine as Record<string, unknown>;
  out.unshift(`Machine: ${String(m.cores)} cores (${String(m.cpu)}), ${String(m.memoryGb)} GB, Node ${String(m.node)}, load average ${JSON.stringify(m.loadAverageAtStart)} at start, ${JSON.stringify(m.loadAverageAtEnd)} at end`, '');
  out.push('Goals', table([['goal', 'measured', 'met'], ...goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : 'NO'])]));
  results.goals = goals;
  results.date = new Date().toISOString();
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  const text = out.join('\n');
  writeFileSync(join(OUT, 'results.md'), `${text}\n`);
  process.stdout.write(`${text}\n\nWritten: bench-results/results.json, bench-results/results.md\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
