/**
 * deprecated-inject-annotation: `sidecar.istio.io/inject` written as a pod annotation without
 * the label of the same name. The annotation is deprecated (IST0135), and `"true"` there cannot
 * opt a pod in: the webhook's object selectors look at labels only.
 */
import { isAlias, isScalar } from 'yaml';
import { compareVersion } from '../settings';
import type { Fix, TextEdit } from '../types';
import { pairOf, rangeOf } from '../yaml/nodes';
import { replaceValue } from '../yaml/edits';
import { removeEntry } from './annotation-helpers';
import { podLabelEdit } from './fixes';
import type { Rule, RuleContext } from './rule';

const INJECT = 'sidecar.istio.io/inject';
/** A Kubernetes label value: at most 63 characters, alphanumerics with `-_.` inside. */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export const deprecatedInjectAnnotation: Rule = {
  id: 'deprecated-inject-annotation',
  severity: 'information',
  title: 'sidecar.istio.io/inject written as an annotation instead of a label',
  needs: 'annotation',
  docs: {
    why: `Istio decides injection with the MutatingWebhookConfiguration's selectors, and those select on **labels**: the namespace's \`istio-injection\` / \`istio.io/rev\` label, or the pod's \`sidecar.istio.io/inject\` / \`istio.io/rev\` label. The \`sidecar.istio.io/inject\` **annotation** is only a fallback read inside the webhook, once the webhook has already been called for the pod. So:

- \`sidecar.istio.io/inject: "true"\` as an annotation injects nothing by itself in a namespace without an injection label: the webhook is never called for that pod. With the label, the pod is injected (legacy object selector).
- \`"false"\` as an annotation still opts a pod out inside an injection-enabled namespace, so it works, but the label does the same at the selector level.
- Only \`"true"\` and \`"false"\` count; any other value logs a warning and falls back to the namespace default.

The annotation has been deprecated since Istio 1.15 (\`istioctl analyze\`: IST0135 DeprecatedAnnotation). When the label is also present the label wins, and the rule (like istioctl) stays silent. For a sidecar whose shutdown you tune, this decides whether there is a sidecar at all.`,
    fix: 'Write it as a pod template **label** with the same, quoted value: `metadata.labels: {sidecar.istio.io/inject: "true"}`. The quick fix moves it (removing the annotation, and `annotations:` if nothing else is left).',
    versions: 'Annotation deprecated in Istio 1.15 (istio/api #1997); the label is documented since 1.16 and used by the webhook object selectors since about 1.9.',
    sources: ['istio-facts.md §7 ("When a sidecar is injected at all"), §9 (IST0135)', 'istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml', 'istio/istio pkg/kube/inject/inject.go (injectRequired)'],
    example: `template:
  metadata:
    annotations:
      sidecar.istio.io/inject: "true"   # use a label`,
  },
  check(ctx: RuleContext): void {
    const before115 = (compareVersion(ctx.settings.istioVersion, 1, 15) ?? 0) < 0;
    for (const pa of ctx.pods) {
      const ann = pa.pod.annotations;
      const pair = pairOf(ann, INJECT);
      if (!ann || !pair || pairOf(pa.pod.labels, INJECT)) continue;
      const kr = rangeOf(pair.key);
      if (!kr) continue;
      const v = pair.value;
      const value = isScalar(v) && v.value !== null && v.value !== undefined ? String(v.value) : undefined;
      // Before 1.15 the annotation was not deprecated; only the ineffective "true" is worth a word.
      if (before115 && value !== 'true') continue;
      const dep = before115 ? 'The label form is preferred' : 'The sidecar.istio.io/inject annotation is deprecated since Istio 1.15 (IST0135)';
      let message: string;
      if (value === 'true') message = `${dep}, and "true" here does not inject by itself: the webhook selects pods by label, so in a namespace without istio-injection or istio.io/rev no sidecar is added. Use the label sidecar.istio.io/inject: "true".`;
      else if (value === 'false') message = `${dep}; "false" here still opts the pod out, but the label sidecar.istio.io/inject: "false" is the supported form.`;
      else message = `${dep}, and Istio only reads "true" or "false" here: this value is ignored and the namespace default applies. Use the label sidecar.istio.io/inject with "true" or "false".`;
      ctx.report({ range: kr, message, fixes: moveToLabel(ctx, pa, pair, value) });
    }
  },
};

function moveToLabel(ctx: RuleContext, pa: RuleContext['pods'][number], pair: NonNullable<ReturnType<typeof pairOf>>, value: string | undefined): Fix[] {
  const pod = pa.pod;
  const ann = pod.annotations;
  if (value === undefined || !LABEL_VALUE.test(value) || !ann || ann.anchor) return [];
  if (pod.annotationsPair && isAlias(pod.annotationsPair.value)) return [];
  const q = JSON.stringify(value);
  const title = `Move it to the pod labels: ${INJECT}: ${q}`;
  const labelsPair = pairOf(pod.metadata, 'labels');
  if (labelsPair && isAlias(labelsPair.value)) return [];
  // As a label, "true" injects a sidecar where the annotation injected none: only the
  // opt-out is safe for --fix to apply blind.
  const optsOut = q === '"false"';
  if (ann.items.length === 1 && !labelsPair && pod.annotationsPair) {
    // The only annotation and no labels yet: `annotations:` becomes `labels:` in place.
    const hk = rangeOf(pod.annotationsPair.key);
    const vr = rangeOf(pair.value);
    if (!hk || !vr) return [];
    // The key keeps its quotes: in a JSON manifest `"annotations"` becomes `"labels"`.
    const k = pod.annotationsPair.key;
    const quote = isScalar(k) && k.type === 'QUOTE_DOUBLE' ? '"' : isScalar(k) && k.type === 'QUOTE_SINGLE' ? "'" : '';
    const edits: TextEdit[] = [{ start: hk.start, end: hk.end, newText: `${quote}labels${quote}` }];
    if (ctx.text.slice(vr.start, vr.end) !== q) {
      const v = replaceValue(ctx.text, pair.value, q);
      if (!v) return [];
      edits.push(v);
    }
    return [{ title, edits, preferred: optsOut }];
  }
  const rm = removeEntry(ctx.text, ann, pair, pod.annotationsPair);
  const add = podLabelEdit(ctx.text, pa, INJECT, q);
  if (!rm || !add || rm.some((e) => add.start < e.end && e.start < add.end)) return [];
  return [{ title, edits: [...rm, add], preferred: optsOut }];
}
