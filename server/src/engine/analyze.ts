/**
 * The engine's entry point: files in, findings out. All files of one run form one context
 * (a Namespace in one file informs a Deployment in another). Pure: no I/O, no globals.
 */
import { analyzePod, contributeToContext, emptyContext, type AnalysisContext, type PodAnalysis } from './model/effective';
import { parseFile, type ParsedFile } from './model/documents';
import { podTemplatesOf } from './model/pod-template';
import { RULES } from './rules/registry';
import { toFinding, type Report, type Rule, type RuleContext } from './rules/rule';
import { settingSeconds, type Settings } from './settings';
import { annotationSuppressions, applySuppressions, commentSuppressions } from './suppress';
import { LineIndex } from './text';
import type { Finding, Note, ValueSource } from './types';

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
}

/**
 * Analyse a set of files as one context. `base` holds what other files contribute (the
 * language server's workspace index); the inputs' own contributions are added to it.
 */
export function analyzeFiles(inputs: readonly FileInput[], rules: readonly Rule[] = RULES, base?: AnalysisContext): FileResult[] {
  const parsed = inputs.map((i) => parseFile(i.uri, i.text));
  const ctx = base ? mergeContexts([base]) : emptyContext();
  for (const p of parsed) for (const d of p.documents) for (const o of d.objects) contributeToContext(p.uri, p.text, o, ctx);
  return parsed.map((p, i) => analyzeParsed(p, inputs[i]!.settings, ctx, rules));
}

/** Analyse one file on its own, or against what the rest of a workspace contributes. */
export function analyzeText(uri: string, text: string, settings: Settings, rules: readonly Rule[] = RULES, base?: AnalysisContext): FileResult {
  return analyzeFiles([{ uri, text, settings }], rules, base)[0]!;
}

/** What one file contributes to a run's context (for an index of files that are not open). */
export function contextOf(uri: string, text: string): AnalysisContext {
  const ctx = emptyContext();
  const file = parseFile(uri, text);
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
  const lines = new LineIndex(text);
  const findings: Finding[] = [];
  const notes: Note[] = [];
  const allPods: PodAnalysis[] = [];
  const margin = settingSeconds(settings.shutdownMargin) ?? 5;
  const byRange: ReturnType<typeof annotationSuppressions> = [];
  for (const document of file.documents) {
    if (!document.ok) {
      const e = document.errors[0];
      const at = e?.range ? lines.positionAt(e.range.start) : undefined;
      notes.push({
        range: e?.range,
        message: `document ${document.index + 1} does not parse as YAML${at ? ` (line ${at.line + 1}: ${e!.message})` : ''}; it was not analysed`,
      });
      continue;
    }
    const templates = document.objects.flatMap(podTemplatesOf);
    const pods = templates.map((t) => analyzePod(uri, text, t, settings, ctx));
    allPods.push(...pods);
    if (settings.inlineSuppressions) byRange.push(...annotationSuppressions(document.objects, templates));
    for (const rule of rules) {
      const level = settings.rules[rule.id] ?? rule.severity;
      if (level === 'off') continue;
      const reports: Report[] = [];
      const rc: RuleContext = {
        uri,
        text,
        settings,
        context: ctx,
        document,
        objects: document.objects,
        pods,
        mesh: ctx.mesh.filter((m) => m.uri === uri && m.range.start >= document.range.start && m.range.start <= document.range.end),
        margin,
        report: (r) => reports.push(r),
        where: (s) => describeSource(s, uri, lines),
        lineOf: (o) => lines.positionAt(o).line + 1,
      };
      try {
        rule.check(rc);
      } catch (err) {
        // A rule bug must never take the run down; say so instead of guessing.
        notes.push({ message: `internal error in rule ${rule.id} on document ${document.index + 1}: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      for (const r of reports) findings.push(toFinding(rule, level, r));
    }
  }
  const byLine = settings.inlineSuppressions ? commentSuppressions(text, lines) : new Map<number, Set<string>>();
  const kept = applySuppressions(findings, byLine, byRange, lines);
  kept.sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  return { uri, text, findings: kept, notes, pods: allPods, parsed: file };
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
