/**
 * Inline suppressions: `# drainguard-disable-next-line <id>[, <id>] -- <reason>` comments and
 * the `drainguard/ignore: "<id>,<id>"` annotation on a workload's or pod template's metadata.
 * `*` (or no id on the comment) suppresses every rule.
 */
import { isMap, isScalar } from 'yaml';
import type { K8sObject } from './model/documents';
import type { PodTemplate } from './model/pod-template';
import type { Finding, Range } from './types';
import { LineIndex } from './text';
import { pairOf } from './yaml/nodes';

export const IGNORE_ANNOTATION = 'drainguard/ignore';
const COMMENT = /#\s*drainguard-disable-next-line\b([^\n\r]*)/g;

function idsOf(list: string): Set<string> {
  const ids = list
    .split(/\s--\s|\s--$/)[0]!
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return new Set(ids.length === 0 ? ['*'] : ids);
}

/** Lines (0-based) whose findings are suppressed, with the ids. */
export function commentSuppressions(text: string, lines: LineIndex): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  if (!text.includes('drainguard-disable-next-line')) return out;
  for (const m of text.matchAll(COMMENT)) {
    const line = lines.positionAt(m.index ?? 0).line + 1;
    const prev = out.get(line) ?? new Set<string>();
    for (const id of idsOf(m[1] ?? '')) prev.add(id);
    out.set(line, prev);
  }
  return out;
}

/** Ranges suppressed by `drainguard/ignore` annotations (the whole object, for the listed ids). */
export function annotationSuppressions(objects: K8sObject[], pods: PodTemplate[]): { range: Range; ids: Set<string> }[] {
  const out: { range: Range; ids: Set<string> }[] = [];
  const add = (ann: unknown, range: Range): void => {
    if (!isMap(ann)) return;
    const p = pairOf(ann, IGNORE_ANNOTATION);
    if (p && isScalar(p.value) && p.value.value !== null) out.push({ range, ids: idsOf(String(p.value.value).replace(/,/g, ' ')) });
  };
  for (const o of objects) add(o.annotations, o.range);
  for (const p of pods) add(p.annotations, p.object.range);
  return out;
}

/** Drop suppressed findings. */
export function applySuppressions(
  findings: Finding[],
  byLine: Map<number, Set<string>>,
  byRange: { range: Range; ids: Set<string> }[],
  lines: LineIndex,
): Finding[] {
  if (byLine.size === 0 && byRange.length === 0) return findings;
  return findings.filter((f) => {
    const ids = byLine.get(lines.positionAt(f.range.start).line);
    if (ids && (ids.has('*') || ids.has(f.ruleId))) return false;
    for (const s of byRange) {
      if (f.range.start >= s.range.start && f.range.start <= s.range.end && (s.ids.has('*') || s.ids.has(f.ruleId))) return false;
    }
    return true;
  });
}
