/**
 * The engine's entry point: files in, findings out. All files of one run form one context
 * (a Namespace in one file informs a Deployment in another). Pure: no I/O, no globals.
 */
import { analyzePod, contributeToContext, emptyContext, type AnalysisContext, type PodAnalysis } from './model/effective';
import { parseFile, type ParsedDocument, type ParsedFile } from './model/documents';
import type { MeshSource } from './model/mesh';
import { parseContributors, parseEvery, parseRelevant } from './model/prescan';
import { podSummary } from './model/summary';
import { podTemplatesOf } from './model/pod-template';
import { RULES } from './rules/registry';
import { toFinding, type Report, type Rule, type RuleContext } from './rules/rule';
import { settingSeconds, type Settings } from './settings';
import { annotationSuppressions, applySuppressions, commentSuppressions } from './suppress';
import { LineIndex } from './text';
import type { Finding, Note, ValueSource } from './types';
import { skipReason } from './limits';

export interface FileInput {
  uri: string;
  text: string;
  settings: Settings;
}

export interface FileResult {
  uri: string;
  text: string;
  findings: Finding[];
  /** Things about the input that are not findings (documents that do not parse). */
  notes: Note[];
  pods: PodAnalysis[];
  parsed: ParsedFile;
  /**
   * With `lean`: for each finding, the one-line summary of the pod it belongs to (`podSummary`),
   * as the CLI prints it; `pods` is empty then and `parsed.documents` holds only the documents
   * that do not parse.
   */
  summaries?: (string | undefined)[];
}

export interface AnalyzeOptions {
  /**
   * Which documents are parsed, kept in `parsed.documents` and analysed; the findings are the
   * same in every mode (`test/prescan.test.ts`). `every` (the default, the CLI's): every document
   * is parsed, so each one that does not parse is noted, but only those that can matter
   * (`model/prescan.ts`) are kept and analysed. `relevant`: only those are parsed, a fraction of
   * the cost on large manifests, and the others are not noted (the language server, which shows
   * no notes). `full`: every document is kept and analysed, the reference the tests compare with.
   */
  parse?: 'every' | 'relevant' | 'full';
  /**
   * Keep no parse: files are parsed and analysed one at a time (after the run's context, which
   * only the documents that may contribute to it are parsed for), and each result keeps its
   * findings and `summaries` instead of its pods. What a run over thousands of files needs: the
   * parses of all of them at once would hold hundreds of megabytes, and the garbage collector
   * would spend more time on them than the analysis.
   */
  lean?: boolean;
}

/**
 * Analyse a set of files as one context. `base` holds what other files contribute (the
 * language server's workspace index); the inputs' own contributions are added to it.
 */
export function analyzeFiles(inputs: readonly FileInput[], rules: readonly Rule[] = RULES, base?: AnalysisContext, options: AnalyzeOptions = {}): FileResult[] {
  const parseAny = options.parse === 'relevant' ? parseRelevant : options.parse === 'full' ? parseFile : parseEvery;
  // A text over a limit (too large, too many documents) is not parsed at all (limits.ts); analyzeParsed notes it.
  const parse = (uri: string, text: string): ParsedFile => (skipReason(text) ? { uri, text, documents: [] } : parseAny(uri, text));
  const ctx = base ? mergeContexts([base]) : emptyContext();
  if (options.lean) {
    // Only documents that may contribute do (`prescan.ts`), in the same order.
    for (const i of inputs) for (const d of skipReason(i.text) ? [] : parseContributors(i.uri, i.text).documents) for (const o of d.objects) contributeToContext(i.uri, i.text, o, ctx);
    return inputs.map((i) => leanResult(analyzeParsed(parse(i.uri, i.text), i.settings, ctx, rules)));
  }
  const parsed = inputs.map((i) => parse(i.uri, i.text));
  for (const p of parsed) for (const d of p.documents) for (const o of d.objects) contributeToContext(p.uri, p.text, o, ctx);
  return parsed.map((p, i) => analyzeParsed(p, inputs[i]!.settings, ctx, rules));
}

/** A result without its parse: the pod summaries of its findings instead of its pods. */
function leanResult(r: FileResult): FileResult {
  let lines: LineIndex | undefined;
  const where = (s: ValueSource): string => describeSource(s, r.uri, (lines ??= new LineIndex(r.text)));
  const summaries = r.findings.map((f) => {
    const pa = podOf(r, f);
    return pa ? podSummary(pa, where) : undefined;
  });
  return { ...r, pods: [], parsed: { ...r.parsed, documents: r.parsed.documents.filter((d) => !d.ok) }, summaries };
}

/** The pod a finding belongs to (its object contains the finding). */
export function podOf(result: FileResult, f: Finding): PodAnalysis | undefined {
  return result.pods.find((p) => f.range.start >= p.pod.object.range.start && f.range.start <= p.pod.object.range.end);
}

/** Analyse one file on its own, or against what the rest of a workspace contributes. */
export function analyzeText(uri: string, text: string, settings: Settings, rules: readonly Rule[] = RULES, base?: AnalysisContext, options: AnalyzeOptions = {}): FileResult {
  return analyzeFiles([{ uri, text, settings }], rules, base, options)[0]!;
}

/** What one file contributes to a run's context (for an index of files that are not open). */
export function contextOf(uri: string, text: string): AnalysisContext {
  const ctx = emptyContext();
  if (skipReason(text)) return ctx;
  const file = parseContributors(uri, text);
  for (const d of file.documents) for (const o of d.objects) contributeToContext(uri, text, o, ctx);
  return ctx;
}

/** Several files' contributions as one context (later namespaces of the same name win). */
export function mergeContexts(parts: readonly AnalysisContext[]): AnalysisContext {
  const ctx = emptyContext();
  for (const p of parts) {
    for (const [k, v] of p.namespaces) ctx.namespaces.set(k, v);
    ctx.mesh.push(...p.mesh);
    ctx.proxyConfigs.push(...p.proxyConfigs);
  }
  return ctx;
}

/** A short fingerprint of a context's values that affect other files, to know when to refresh them. */
export function contextSignature(ctx: AnalysisContext): string {
  const ns = [...ctx.namespaces.values()].map((n) => `${n.name}:${n.injectionLabel ?? ''}:${n.revLabel ?? ''}`);
  const mesh = ctx.mesh.map((m) =>
    JSON.stringify([
      m.kind,
      m.revision,
      m.defaultConfig?.drain?.seconds,
      [...(m.defaultConfig?.proxyMetadata ?? new Map()).entries()].map(([k, v]) => [k, v.value]),
      m.defaultConfig?.holdApplicationUntilProxyStarts,
      m.nativeSidecars?.value,
      m.lifecycle ? [m.lifecycle.preStopSeconds, m.lifecycle.waitsForApp, m.lifecycle.hasPostStart] : null,
      m.holdValues?.value,
      m.range.start,
    ]),
  );
  const pcs = ctx.proxyConfigs.map((p) => JSON.stringify([p.namespace, [...(p.selector ?? new Map())], [...p.env].map(([k, v]) => [k, v.value])]));
  return [...ns, ...mesh, ...pcs].join('\n');
}

/** Analyse one parsed file in a given context. */
export function analyzeParsed(file: ParsedFile, settings: Settings, ctx: AnalysisContext, rules: readonly Rule[] = RULES): FileResult {
  const { uri, text } = file;
  // Built on first use: most documents of a large file never need a line number.
  let lineIndex: LineIndex | undefined;
  const lines = (): LineIndex => (lineIndex ??= new LineIndex(text));
  const findings: Finding[] = [];
  const notes: Note[] = [];
  const allPods: PodAnalysis[] = [];
  const byRange: ReturnType<typeof annotationSuppressions> = [];
  const skipped = skipReason(text);
  if (skipped) notes.push({ message: skipped });
  for (const document of file.documents) {
    if (!document.ok) {
      notes.push(parseErrorNote(document, lines()));
      continue;
    }
    const mesh = ctx.mesh.filter((m) => m.uri === uri && m.range.start >= document.range.start && m.range.start <= document.range.end);
    const a = analyzeDocument({ uri, text, document, settings, context: ctx, rules, mesh, where: (s) => describeSource(s, uri, lines()), lineOf: (o) => lines().positionAt(o).line + 1 });
    findings.push(...a.findings);
    allPods.push(...a.pods);
    byRange.push(...a.suppressions);
    for (const f of a.failures) notes.push({ message: internalErrorMessage(f.rule, document.index, f.error) });
  }
  const byLine = settings.inlineSuppressions && text.includes('drainguard-disable-next-line') ? commentSuppressions(text, lines()) : new Map<number, Set<string>>();
  const kept = byLine.size > 0 || byRange.length > 0 ? applySuppressions(findings, byLine, byRange, lines()) : findings;
  kept.sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  return { uri, text, findings: kept, notes, pods: allPods, parsed: file };
}

/** What one document needs to be analysed; `mesh`: the mesh sources its own objects contribute. */
export interface DocumentInput {
  uri: string;
  /** The file's text, in which the document's offsets are valid. */
  text: string;
  document: ParsedDocument;
  settings: Settings;
  context: AnalysisContext;
  rules: readonly Rule[];
  mesh: MeshSource[];
  where: (s: ValueSource) => string;
  lineOf: (offset: number) => number;
}

export interface DocumentAnalysis {
  /** Before suppressions and sorting. */
  findings: Finding[];
  pods: PodAnalysis[];
  /** `drainguard/ignore` annotations of the document (empty without inline suppressions). */
  suppressions: ReturnType<typeof annotationSuppressions>;
  /** Rules that threw. */
  failures: { rule: string; error: string }[];
}

/** Run the rules on one document that parsed. The unit of work of both the whole-file and the incremental analysis. */
export function analyzeDocument(input: DocumentInput): DocumentAnalysis {
  const { uri, text, document, settings, context, rules } = input;
  const margin = settingSeconds(settings.shutdownMargin) ?? 5;
  const findings: Finding[] = [];
  const failures: DocumentAnalysis['failures'] = [];
  let templates: ReturnType<typeof podTemplatesOf>;
  let pods: PodAnalysis[];
  let suppressions: DocumentAnalysis['suppressions'];
  try {
    templates = document.objects.flatMap(podTemplatesOf);
    pods = templates.map((t) => analyzePod(uri, text, t, settings, context));
    suppressions = settings.inlineSuppressions ? annotationSuppressions(document.objects, templates) : [];
  } catch (e) {
    // The model could not read the document: no rule runs on it, and the note says so.
    failures.push({ rule: '', error: e instanceof Error ? e.message : String(e) });
    return { findings, pods: [], suppressions: [], failures };
  }
  // One context for every rule of the document: only where reports go changes.
  let reports: Report[] = [];
  const rc: RuleContext = {
    uri,
    text,
    settings,
    context,
    document,
    objects: document.objects,
    pods,
    mesh: input.mesh,
    margin,
    report: (r) => reports.push(r),
    where: input.where,
    lineOf: input.lineOf,
  };
  for (const rule of rules) {
    const level = settings.rules[rule.id] ?? rule.severity;
    if (level === 'off') continue;
    reports = [];
    try {
      rule.check(rc);
    } catch (err) {
      // A rule bug must never take the run down; say so instead of guessing.
      failures.push({ rule: rule.id, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const r of reports) findings.push(toFinding(rule, level, r));
  }
  return { findings, pods, suppressions, failures };
}

/** The note for a rule that threw on a document (`index`: 0-based in the stream). */
export function internalErrorMessage(rule: string, index: number, error: string): string {
  return rule ? `internal error in rule ${rule} on document ${index + 1}: ${error}` : `internal error reading document ${index + 1}: ${error}`;
}

/** The note for a document that does not parse. */
export function parseErrorNote(document: ParsedDocument, lines: LineIndex): Note {
  const e = document.errors[0];
  const line = e?.range ? lines.positionAt(e.range.start).line : undefined;
  return { range: e?.range, message: parseErrorMessage(document.index, line, e?.message, document.unsupported) };
}

/** The text of that note (`index` and `line` 0-based), shared with the incremental analysis. */
export function parseErrorMessage(index: number, line: number | undefined, error: string | undefined, unsupported?: string): string {
  if (unsupported) return `document ${index + 1} ${unsupported}${line !== undefined ? ` (line ${line + 1})` : ''}; it was not analysed`;
  return `document ${index + 1} does not parse as YAML${line !== undefined ? ` (line ${line + 1}: ${error})` : ''}; it was not analysed`;
}

/** Say where a value comes from, for messages and hovers. */
export function describeSource(s: ValueSource, uri: string, lines: LineIndex): string {
  switch (s.kind) {
    case 'file': {
      if (s.uri !== uri) return `${s.label ? `${s.label}, ` : ''}${s.uri.replace(/^.*[\\/]/, '')}${s.line ? `:${s.line}` : ''}`;
      return `line ${lines.positionAt(s.range.start).line + 1}`;
    }
    case 'istio-default':
      return 'Istio default';
    case 'kubernetes-default':
      return 'Kubernetes default';
    case 'controller-default':
      return s.detail;
    case 'setting':
      return `setting ${s.name}`;
    case 'unknown':
      return s.detail;
  }
}
