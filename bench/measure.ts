/**
 * One side of the parse-vs-analysis comparison, in a process of its own so that neither pays
 * the other's garbage or runs on the other's warmed-up heap:
 *
 *   node out/bench/measure.js parse|kept|analysis <file | workloads:N> <warm-up runs> <timed runs> [<warm-up ms>]
 *
 * prints `{ first, times }` as JSON: the first run's milliseconds (a new process: nothing
 * compiled yet) and the timed runs'. The warm-up lasts for the given runs and, when given, at
 * least the given milliseconds, so that V8 has optimised what the timed runs execute: the
 * analysis runs a few hundred functions (23 rules, the model, the prescan) where the bare parse
 * runs a few dozen, so a fixed small number of runs times the analysis still half compiled. `parse` is bare `yaml.parseAllDocuments` with the
 * library's defaults; `kept` is the same parse of only the documents (and parts) that the
 * prescan keeps, the floor of any analysis that parses what can matter; `analysis` is what the
 * language server runs when a file is opened (`updateOpenFile` + `analyzeOpenFile`, from no state).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { analyzeOpenFile, updateOpenFile } from '../server/src/engine/incremental';
import { emptyContext } from '../server/src/engine/model/effective';
import { classifyDocument } from '../server/src/engine/model/prescan';
import { blankOut, splitDocuments } from '../server/src/engine/yaml/stream';
import { defaultSettings } from '../server/src/engine/settings';
import { workloadManifest } from './workloads';

const [kind, target, warm, runs, warmMs] = process.argv.slice(2);
const text = target!.startsWith('workloads:') ? workloadManifest(Number(target!.slice('workloads:'.length))) : readFileSync(target!, 'utf8');
const settings = defaultSettings();
// The kept documents, with blanked-out entries as the analysis blanks them out.
const kept: string[] = [];
if (kind === 'kept')
  for (const s of splitDocuments(text) ?? [{ start: 0, end: text.length }]) {
    const d = classifyDocument(text, s.start, s.end);
    if (d.kind === 'skip') continue;
    const src = text.slice(s.start, s.end);
    kept.push(d.kind === 'elide' ? blankOut(src, d.ranges) : src);
  }
const once = (): number => {
  const t0 = Number(process.hrtime.bigint());
  if (kind === 'parse') parseAllDocuments(text);
  else if (kind === 'kept') for (const k of kept) parseAllDocuments(k);
  else analyzeOpenFile(updateOpenFile(undefined, 'file:///bench/measured.yaml', text), settings, emptyContext());
  return (Number(process.hrtime.bigint()) - t0) / 1e6;
};
const first = once();
const warmUntil = Date.now() + Number(warmMs ?? 0);
for (let i = 1; i < Number(warm) || Date.now() < warmUntil; i++) once();
const times: number[] = [];
for (let i = 0; i < Number(runs); i++) times.push(once());
process.stdout.write(`${JSON.stringify({ first, times })}\n`);
