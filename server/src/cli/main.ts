#!/usr/bin/env node
/**
 * The `drainguard` command line: a thin layer over the engine. It finds files, reads
 * configuration, runs one analysis over all files (one context), prints a format and
 * applies fixes. All I/O lives here and in files.ts; the engine stays pure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeFiles, analyzeText, contextOf, mergeContexts, type FileInput, type FileResult } from '../engine/analyze';
import type { AnalysisContext } from '../engine/model/effective';
import { fixAll } from '../engine/apply';
import { RULES, RULE_IDS } from '../engine/rules/registry';
import { mergeSettings, validateSettings, type Settings } from '../engine/settings';
import { parseArgs, USAGE, UsageError, type CliOptions } from './args';
import { collectFiles, ConfigResolver, readText, writeAtomically, type SourceFile } from '../host/files';
import { formatGithub, formatJson, formatSarif, formatText, TOOL_VERSION, type FileReport, type RunNote } from './format';
import { isTooLarge, isTooLargeFile, tooLargeMessage } from '../engine/limits';


export interface Io {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readStdin: () => string;
  isTTY: boolean;
}

/** Run the CLI; returns the exit code. Never throws. */
export function run(argv: readonly string[], io: Io): number {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv, io.isTTY);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`drainguard: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.command === 'help') {
    io.stdout(USAGE + '\n');
    return 0;
  }
  if (opts.command === 'version') {
    io.stdout(`drainguard ${TOOL_VERSION}\n`);
    return 0;
  }
  if (opts.command === 'rules') {
    for (const r of RULES) io.stdout(`${r.id.padEnd(36)} ${r.severity.padEnd(11)} ${r.title}\n`);
    return 0;
  }
  const { inlineSuppressions, ...settingFlags } = opts.flags;
  const flagLayer = validateSettings(settingFlags, RULE_IDS);
  if (inlineSuppressions === false) flagLayer.settings.inlineSuppressions = false;
  if (flagLayer.errors.length > 0) {
    io.stderr(`drainguard: ${flagLayer.errors[0]}\n`);
    return 2;
  }
  try {
    return check(opts, flagLayer.settings, io);
  } catch (e) {
    // Last line of defence: one readable line, never a stack trace.
    io.stderr(`drainguard: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

function check(opts: CliOptions, flagSettings: Partial<Settings>, io: Io): number {
  const runNotes: RunNote[] = [];
  let ioError = false;
  const resolver = new ConfigResolver(io.cwd, opts.config, RULE_IDS);
  if (opts.config && resolver.explicitError) {
    io.stderr(`drainguard: ${resolver.explicitError}\n`);
    return 2;
  }
  const sources: SourceFile[] = [];
  const paths = opts.paths.length > 0 ? opts.paths : ['.'];
  const skipTooLarge = (shown: string, size: number): void => {
    const m = tooLargeMessage(size);
    io.stderr(`drainguard: note: ${shown}: ${m}\n`);
    runNotes.push({ path: shown, message: m, level: 'warning' });
  };
  /** Real paths of the files read so far: a file named twice (`check . p.yaml`, or a link and its target) is read once. */
  const seen = new Set<string>();
  /** Real paths of the paths given: fixes are written only inside them. */
  const roots: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      let text: string;
      try {
        text = io.readStdin();
      } catch (e) {
        io.stderr(`drainguard: cannot read standard input: ${e instanceof Error ? e.message : String(e)}\n`);
        ioError = true;
        continue;
      }
      const name = opts.stdinFilename ?? '<stdin>';
      if (isTooLarge(text.length)) {
        skipTooLarge(name, text.length);
        continue;
      }
      sources.push({ display: name, abs: opts.stdinFilename ? path.resolve(io.cwd, opts.stdinFilename) : undefined, text });
      continue;
    }
    const found = collectFiles(path.resolve(io.cwd, p), p);
    const root = realOrSelf(path.resolve(io.cwd, p));
    if (!roots.includes(root)) roots.push(root);
    for (const err of found.errors) {
      io.stderr(`drainguard: ${err}\n`);
      runNotes.push({ message: err, level: 'error' });
      ioError = true;
    }
    for (const f of found.files) {
      const real = realOrSelf(f.abs);
      if (seen.has(real)) continue;
      seen.add(real);
      // Not even read when surely too large: parsing it would take minutes and gigabytes (engine/limits.ts).
      const size = sizeOf(f.abs);
      if (size !== undefined && isTooLargeFile(size)) {
        skipTooLarge(f.display, size);
        continue;
      }
      const r = readText(f.abs);
      if ('error' in r) {
        io.stderr(`drainguard: ${f.display}: ${r.error}\n`);
        runNotes.push({ path: f.display, message: r.error, level: 'error' });
        ioError = true;
        continue;
      }
      // The limit is on the text (as in the editor), not on its bytes.
      if (isTooLarge(r.text.length)) {
        skipTooLarge(f.display, r.text.length);
        continue;
      }
      sources.push({ display: f.display, abs: f.abs, text: r.text, mtimeMs: r.mtimeMs });
    }
  }
  for (const e of resolver.errors()) {
    io.stderr(`drainguard: ${e}\n`);
    runNotes.push({ message: e, level: 'warning' });
  }

  const inputs: (FileInput & { src: SourceFile })[] = [];
  for (const s of sources) {
    const base = s.abs ? resolver.settingsFor(s.abs) : resolver.settingsFor(path.join(io.cwd, 'stdin.yaml'));
    const settings = mergeSettings(base.settings, flagSettings, 'command line');
    if (s.abs && base.ignored(s.abs)) continue;
    inputs.push({ uri: s.abs ?? s.display, text: s.text, settings, src: s });
  }
  for (const e of resolver.errors()) if (!runNotes.some((n) => n.message === e)) io.stderr(`drainguard: ${e}\n`);

  // Lean: one file's parse at a time; a run over thousands of files would otherwise hold them all.
  let results = analyzeFiles(inputs, RULES, undefined, { lean: true });
  if (opts.fix) results = fixFiles(inputs, results, io, runNotes, () => (ioError = true), roots);

  const reports: FileReport[] = results.map((result, i) => ({ path: inputs[i]!.src.display, result }));
  if (opts.format === 'text') {
    for (const r of reports) for (const n of r.result.notes) io.stderr(`drainguard: note: ${r.path}: ${n.message}\n`);
  }
  const out =
    opts.format === 'json'
      ? formatJson(reports, runNotes)
      : opts.format === 'sarif'
        ? formatSarif(reports, runNotes, io.cwd)
        : opts.format === 'github'
          ? formatGithub(reports, runNotes)
          : formatText(reports, runNotes, opts.color);
  io.stdout(out);

  const all = results.flatMap((r) => r.findings);
  const errors = all.filter((f) => f.severity === 'error').length;
  const warnings = all.filter((f) => f.severity === 'warning').length;
  if (opts.format === 'text' && all.length > 0) {
    io.stdout(`\n${all.length} finding${all.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}) in ${results.length} file${results.length === 1 ? '' : 's'}\n`);
  }
  if (ioError) return 2;
  if (errors > 0) return 1;
  if (opts.maxWarnings !== undefined && warnings > opts.maxWarnings) return 1;
  return 0;
}

/**
 * Apply each file's preferred fixes (engine `fixAll`: one fix per document per pass, every pass
 * re-checked against the other files' context), then write each changed file atomically.
 */
function fixFiles(inputs: (FileInput & { src: SourceFile })[], results: FileResult[], io: Io, notes: RunNote[], onError: () => void, roots?: readonly string[]): FileResult[] {
  const texts = inputs.map((i) => i.text);
  let contexts: AnalysisContext[] | undefined;
  results.forEach((r, i) => {
    if (!r.findings.some((f) => f.fixes.some((x) => x.preferred))) return;
    // What the other files contribute stays fixed while this one is being fixed.
    contexts ??= inputs.map((inp) => contextOf(inp.uri, inp.text));
    const others = mergeContexts(contexts.filter((_, k) => k !== i));
    const inp = inputs[i]!;
    const out = fixAll(inp.text, inp.uri, (t) => {
      const res = analyzeText(inp.uri, t, inp.settings, RULES, others);
      return { findings: res.findings, yamlErrors: res.parsed.documents.filter((d) => !d.ok).length };
    });
    texts[i] = out.text;
  });
  inputs.forEach((inp, i) => {
    if (texts[i] === inp.text) return;
    if (!inp.src.abs || inp.src.mtimeMs === undefined) {
      notes.push({ path: inp.src.display, message: 'fixes for standard input are not written anywhere', level: 'note' });
      return;
    }
    const err = writeAtomically(inp.src.abs, inp.text, texts[i]!, inp.src.mtimeMs, roots);
    if (err) {
      io.stderr(`drainguard: ${inp.src.display}: ${err}\n`);
      notes.push({ path: inp.src.display, message: err, level: 'error' });
      onError();
    }
  });
  if (texts.every((t, i) => t === inputs[i]!.text)) return results;
  return analyzeFiles(
    inputs.map((inp, i) => ({ ...inp, text: texts[i]! })),
    RULES,
    undefined,
    { lean: true },
  );
}

/** A file's size in bytes, undefined when it cannot be read (readText then says why). */
function sizeOf(abs: string): number | undefined {
  try {
    return fs.statSync(abs).size;
  } catch {
    return undefined;
  }
}

/** A path with its symbolic links resolved, or the path itself when it cannot be resolved. */
function realOrSelf(abs: string): string {
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

if (require.main === module) {
  const code = run(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: () => fs.readFileSync(0, 'utf8'),
    isTTY: Boolean(process.stdout.isTTY),
  });
  process.exitCode = code;
}
