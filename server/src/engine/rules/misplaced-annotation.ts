/**
 * misplaced-annotation: a pod-scoped Istio annotation (`proxy.istio.io/config`,
 * `sidecar.istio.io/*`, …) written on a workload's own `metadata.annotations`. The injection
 * webhook only ever sees pods, so the setting has no effect (istioctl: IST0107).
 */
import { isAlias, isScalar, type Pair } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import { parseProxyConfigAnnotation, PROXY_CONFIG_ANNOTATION } from '../model/proxy-config';
import type { Fix, RelatedValue, TextEdit } from '../types';
import { parseGoBool } from '../yaml/goyaml';
import { keyOf, pairOf, rangeOf, type KeyedPair } from '../yaml/nodes';
import { freshPair, insertIntoPodMap, isPodIstioAnnotation, pairText, quotedValue, removeEntry } from './annotation-helpers';
import { graceEdit } from './fixes';
import type { Rule, RuleContext } from './rule';

const INJECT = 'sidecar.istio.io/inject';

export const misplacedAnnotation: Rule = {
  id: 'misplaced-annotation',
  severity: 'warning',
  title: "Pod annotation on the workload's own metadata, where Istio never reads it",
  needs: 'annotation',
  docs: {
    why: `Sidecar injection is a mutating webhook on **Pod** CREATE: it reads the annotations of the pod being created and nothing else. A Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Argo Rollout passes its pod template's \`metadata\` to the pods it creates, not its own \`metadata.annotations\`. So \`proxy.istio.io/config\`, \`sidecar.istio.io/*\` (\`nativeSidecar\`, \`inject\`, \`proxyCPU\`, \`statsInclusionPrefixes\`, …), \`inject.istio.io/templates\`, \`status.sidecar.istio.io/port\`, \`readiness.status.sidecar.istio.io/*\` and \`traffic.sidecar.istio.io/*\` written on the workload itself are **silently ignored**: a \`terminationDrainDuration\` there never reaches the proxy, a \`nativeSidecar: "true"\` there leaves a classic sidecar, and the shutdown behaves as if the line were not there. \`istioctl analyze\` reports the same mistake as IST0107 (MisplacedAnnotation).

The rule looks at objects that have a pod template of their own (not at Pods, and not at Services, Namespaces or other objects without one). \`networking.istio.io/exportTo\` is not flagged: it belongs on Services.`,
    fix: `Move the annotation to the pod template: \`spec.template.metadata.annotations\` (\`spec.jobTemplate.spec.template.metadata.annotations\` for a CronJob). The quick fix moves the pair with its value text unchanged (block scalars are re-indented), creating \`annotations:\` (or \`metadata:\`) in the template when needed. When the template already sets the annotation to another value, the fix only removes the ignored copy; with the same value on both levels (as kustomize's \`commonAnnotations\` writes it) the rule stays silent, since the pod gets it anyway. For \`sidecar.istio.io/inject\` the preferred fix moves it to the pod template **labels**, which is what the webhook selects on. When a moved \`proxy.istio.io/config\` sets a drain longer than the grace period, the fix raises \`terminationGracePeriodSeconds\` in the same edit.`,
    versions: 'All Istio versions (injection has always been a Pod webhook).',
    sources: [
      'istio-facts.md §1.5 ("Where the annotation must go"), §7 (annotations and resources), §9 (IST0107 MisplacedAnnotation)',
      'istio/api annotation/annotations.yaml (resource type Pod)',
      'istio/istio pkg/config/analysis/analyzers/annotations/annotations.go',
    ],
    example: `apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    proxy.istio.io/config: |      # ignored here
      terminationDrainDuration: 20s
spec:
  template:
    metadata:
      annotations: {}             # belongs here
    spec: ...`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const pod = pa.pod;
      if (pod.isPod) continue;
      const obj = pod.object;
      const map = obj.annotations;
      if (!map || map === pod.annotations) continue;
      const holder = pairOf(obj.metadata, 'annotations');
      for (const item of map.items) {
        const key = keyOf(item);
        if (key === undefined || !isPodIstioAnnotation(key)) continue;
        const kr = rangeOf(item.key);
        if (!kr) continue;
        const kind = obj.kind ?? 'workload';
        const related: RelatedValue[] = [];
        const target = pod.annotationsPair ?? pod.metadataPair ?? pod.templatePair;
        const tr = target ? rangeOf(target.key) : undefined;
        if (tr) related.push({ range: tr, message: 'the pod template, where Istio reads pod annotations' });
        // For the inject switch the pod template's label counts as well (it wins over the annotation).
        const dup = pairOf(pod.annotations, key) ?? (key === INJECT ? pairOf(pod.labels, key) : undefined);
        // The same value on both levels (kustomize commonAnnotations does this): the pod has it, nothing is lost.
        if (dup && sameValue(dup.value, item.value)) continue;
        const dupRange = dup ? rangeOf(dup.key) : undefined;
        if (dupRange) related.push({ range: dupRange, message: `the pod template's own ${key}, which is the one in effect` });
        const message = dup
          ? `"${key}" on the ${kind}'s own metadata is ignored: Istio reads it from the pod template, which sets it to a different value. Remove this copy.`
          : key === INJECT
            ? `"${key}" on the ${kind}'s own metadata has no effect: the injection webhook only looks at the pod, so the switch belongs in the pod template, as the label ${key}.`
            : `"${key}" on the ${kind}'s own metadata has no effect: the injection webhook only reads the pod's annotations, so it belongs in the pod template's metadata.annotations.`;
        ctx.report({ range: kr, message, related, fixes: fixesFor(ctx, pa, item as KeyedPair, key, holder) });
      }
    }
  },
};

function fixesFor(ctx: RuleContext, pa: PodAnalysis, pair: KeyedPair, key: string, holder: Pair | undefined): Fix[] {
  const text = ctx.text;
  const objMap = pa.pod.object.annotations;
  if (!objMap || objMap.anchor || (holder && isAlias(holder.value))) return [];
  const remove = removeEntry(text, objMap, pair, holder);
  if (!remove) return [];
  const inTemplate = pairOf(pa.pod.annotations, key);
  const labelled = key === INJECT ? pairOf(pa.pod.labels, key) : undefined;
  if (inTemplate || labelled) {
    const where = inTemplate ? 'annotations' : 'labels';
    return [{ title: `Remove it (the pod template's ${where} already set ${key})`, edits: remove, preferred: true }];
  }
  const fixes: Fix[] = [];
  if (key === INJECT) {
    // The webhook selects pods on the label; the annotation is deprecated (IST0135).
    const q = quotedValue(text, pair.value);
    const keyText = keyTextOf(text, pair);
    const label = q && keyText ? insertIntoPodMap(text, pa, 'labels', freshPair(keyText, q)) : undefined;
    // Preferred only for the opt-out: as a label, "true" would inject a sidecar where there was none.
    if (label) fixes.push({ title: `Move it to the pod template labels as ${key}: ${q}`, edits: [...remove, label], preferred: q === '"false"' });
  }
  const moved = pairText(text, pair);
  let insert = moved ? insertIntoPodMap(text, pa, 'annotations', moved) : undefined;
  if (!insert && moved && !moved.oneLine && isScalar(pair.value) && typeof pair.value.value === 'string') {
    // A multi-line value cannot go into a flow mapping as written: write the same string as one JSON-quoted line.
    const keyText = keyTextOf(text, pair);
    if (keyText) insert = insertIntoPodMap(text, pa, 'annotations', freshPair(keyText, JSON.stringify(pair.value.value)));
  }
  if (insert) {
    const edits: TextEdit[] = [...remove, insert];
    let title = 'Move it to the pod template annotations';
    const grace = key === PROXY_CONFIG_ANNOTATION ? graceForMovedConfig(ctx, pa, pair) : { ok: true as const };
    if (!grace.ok) return fixes; // the moved config would be rejected: do not offer to make it live
    if (grace.edit) {
      edits.push(grace.edit);
      title += ` and raise terminationGracePeriodSeconds to ${grace.seconds}`;
    }
    fixes.push({ title, edits, preferred: fixes.length === 0 });
  }
  return fixes;
}

type GraceNeed = { ok: false } | { ok: true; edit?: TextEdit; seconds?: number };

/**
 * A `proxy.istio.io/config` moved onto the pod starts to count. When it holds errors the move
 * would get the pod denied, so no fix is offered; when its drain no longer fits in the grace
 * period (a classic sidecar without EXIT_ON_ZERO_ACTIVE_CONNECTIONS), the grace period has to
 * grow in the same fix, as drain-exceeds-grace would otherwise fire.
 */
function graceForMovedConfig(ctx: RuleContext, pa: PodAnalysis, pair: KeyedPair): GraceNeed {
  const moved = parseProxyConfigAnnotation(ctx.text, pair);
  if (moved.problems.length > 0) return { ok: false };
  const D = moved.drain?.seconds;
  if (D === undefined) return { ok: true };
  const exit = moved.proxyMetadata.get('EXIT_ON_ZERO_ACTIVE_CONNECTIONS')?.value;
  if (pa.native.value || pa.exitOnZero.value || (exit !== undefined && parseGoBool(exit) === true)) return { ok: true };
  // Injected after the move: already injected, or no evidence yet (the moved annotation is evidence).
  const injected = pa.injection.injected || pa.injection.reason.startsWith('no injection evidence');
  const G = pa.grace.value;
  if (!injected || G === undefined || G <= 0) return { ok: true };
  const P = pa.proxyPreStop.seconds;
  if (P + D <= G) return { ok: true };
  const seconds = Math.ceil(P + D) + ctx.margin;
  const edit = graceEdit(ctx.text, pa, seconds);
  return edit ? { ok: true, edit, seconds } : { ok: false };
}

function sameValue(a: unknown, b: unknown): boolean {
  return isScalar(a) && isScalar(b) && a.value !== null && String(a.value) === String(b.value);
}

/** The key as written (with its quotes, if any). */
function keyTextOf(text: string, pair: KeyedPair): string | undefined {
  const r = pair.key.range;
  return r && !text.slice(r[0], r[1]).includes('\n') ? text.slice(r[0], r[1]) : undefined;
}
