/**
 * What a rule is. A rule is one file under `rules/`, named by its id, exporting a `Rule`:
 * its stable id, default severity, one-line title, markdown docs (also its hover text and
 * docs page) and a `check` that reports findings with their fixes. Rules read the model
 * (`PodAnalysis`, `K8sObject`); they never parse YAML themselves and never switch on `kind`.
 */
import type { AnalysisContext, PodAnalysis } from '../model/effective';
import type { MeshSource } from '../model/mesh';
import type { K8sObject, ParsedDocument } from '../model/documents';
import type { Settings } from '../settings';
import type { Finding, Fix, RelatedValue, Range, Severity, ValueSource } from '../types';

/** What a rule needs before it may speak (see ARCHITECTURE.md, "noise"). */
export type RuleNeeds =
  /** Kubernetes validity: runs on every pod template, Istio or not. */
  | 'kubernetes'
  /** Runs wherever the Istio annotation it checks is written. */
  | 'annotation'
  /** Needs evidence that a sidecar is injected. */
  | 'injection'
  /** Runs on Istio control-plane configuration (IstioOperator, injector and mesh ConfigMaps, Helm values). */
  | 'mesh';

export interface RuleDocs {
  /** What happens at shutdown when this goes wrong, and why. */
  why: string;
  /** How to fix it. */
  fix: string;
  /** Istio / Kubernetes versions involved. */
  versions?: string;
  /** Sources (istio-facts.md sections, upstream files). */
  sources: string[];
  /** A short example that triggers the rule. */
  example?: string;
}

export interface Rule {
  /** Stable, kebab-case, never reused. */
  id: string;
  severity: Severity;
  title: string;
  needs: RuleNeeds;
  /** Findings of this rule carry the `unnecessary` tag (faded in editors). */
  unnecessary?: boolean;
  docs: RuleDocs;
  check(ctx: RuleContext): void;
}

/** A finding as a rule reports it; the framework fills in the id and severity. */
export interface Report {
  range: Range;
  message: string;
  related?: RelatedValue[];
  fixes?: Fix[];
}

export interface RuleContext {
  uri: string;
  text: string;
  settings: Settings;
  context: AnalysisContext;
  document: ParsedDocument;
  /** The objects of this document (one, or a List's items). */
  objects: K8sObject[];
  /** The pod templates of this document with their effective values. */
  pods: PodAnalysis[];
  /** The mesh configuration sources in this document. */
  mesh: MeshSource[];
  /** `shutdownMargin` in seconds. */
  margin: number;
  report(r: Report): void;
  /** Where a value comes from, for messages: "line 18", "Istio default", "setting defaultDrainDuration". */
  where(source: ValueSource): string;
  /** 1-based line of an offset in this file. */
  lineOf(offset: number): number;
}

/** Build a finding from a report (used by the engine only). */
export function toFinding(rule: Rule, severity: Severity, r: Report): Finding {
  const f: Finding = { ruleId: rule.id, severity, range: r.range, message: r.message, related: r.related ?? [], fixes: r.fixes ?? [] };
  if (rule.unnecessary) f.tags = ['unnecessary'];
  return f;
}
