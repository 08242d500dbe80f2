/**
 * prestop-sleep-invalid: a lifecycle `sleep` action whose `seconds` the API server rejects
 * (more than the grace period, negative, zero before Kubernetes 1.33, or not an integer).
 * Validation runs on pod templates too, so the whole workload fails to apply.
 */
import { isMap, isScalar, type Scalar } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import type { ContainerInfo, HookInfo } from '../model/pod-template';
import { compareVersion } from '../settings';
import type { Fix, RelatedValue } from '../types';
import { resolvePlainV2 } from '../yaml/goyaml';
import { deref, keyRange, pairOf, rangeOf } from '../yaml/nodes';
import { graceEdit } from './fixes';
import { containerLabel, hookContainers, hooksOf, removeHookEdit, type HookName } from './lifecycle-helpers';
import type { Rule, RuleContext } from './rule';

export const prestopSleepInvalid: Rule = {
  id: 'prestop-sleep-invalid',
  severity: 'error',
  title: 'A lifecycle sleep action has seconds the API server rejects',
  needs: 'kubernetes',
  docs: {
    why: `The kubelet's \`sleep\` lifecycle action (\`lifecycle.preStop.sleep.seconds\`) pauses a container's shutdown without needing a \`sleep\` binary in the image, so it is the distroless-safe way to delay SIGTERM (to istio-proxy or to the app). The API server validates it strictly: \`seconds\` must satisfy *0 < seconds ≤ terminationGracePeriodSeconds*, otherwise it answers "must be greater than 0 and less than terminationGracePeriodSeconds (N)". From Kubernetes 1.33 (\`PodLifecycleSleepActionAllowZero\`, beta, on by default; GA in 1.34) zero is accepted too ("must be non-negative and less than terminationGracePeriodSeconds (N)").

This validation runs on pod **templates** as well, so a Deployment, StatefulSet, Job or CronJob with such a hook is rejected at \`kubectl apply\` time and nothing rolls out. The grace period compared is the pod's \`terminationGracePeriodSeconds\`, or 30 when it is not written (the API server defaults it before validating).

The rule fires, for every container that may carry hooks (regular containers and \`restartPolicy: Always\` init containers, istio-proxy included) and for \`preStop\` and \`postStart\` alike (both are validated the same way), when \`seconds\`:
- is greater than the grace period *G*; with \`terminationGracePeriodSeconds: 0\` every positive sleep is rejected (and a preStop would not run anyway: the kubelet skips hooks when the grace period is 0);
- is negative;
- is 0 while the configured \`kubernetesVersion\` is older than 1.33 (without a configured version, 0 is not reported);
- is not an integer: \`seconds\` is an int64, so \`5.5\` or the string \`"5"\` cannot be decoded and the object is rejected.

It stays silent when the grace period is not a plain integer (a template placeholder, an invalid value) or negative (another problem, reported elsewhere), when \`seconds\` is a placeholder such as \`\${SLEEP}\`, and on Knative services (their pod spec is validated by Knative, and the grace period is the revision timeout).`,
    fix: `When the sleep is longer than the grace period, raise \`terminationGracePeriodSeconds\` to the sleep plus \`shutdownMargin\` (the preferred quick fix: the container still needs time after the hook to stop), or lower the sleep to the grace period. A zero or negative sleep becomes 1 second; a fractional or quoted value becomes the integer it means. With \`terminationGracePeriodSeconds: 0\` the preferred fix removes the preStop hook, which never runs at grace 0.`,
    versions: 'The `sleep` action: Kubernetes 1.29 alpha, 1.30 beta (on by default), 1.34 GA (`PodLifecycleSleepAction`, KEP-3960). `seconds: 0`: 1.32 alpha, 1.33 beta, 1.34 GA (`PodLifecycleSleepActionAllowZero`, KEP-4818).',
    sources: [
      'istio-facts.md §8 (`sleep` action validation, grace 0), §11 (distroless-safe delay)',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go (`validateSleepAction`, `validateLifecycle`)',
      'kubernetes/enhancements keps/sig-node/3960-pod-lifecycle-sleep-action, keps/sig-node/4818-allow-zero-value-for-sleep-action-of-prestop-hook',
    ],
    example: `spec:
  template:
    spec:
      # no terminationGracePeriodSeconds: 30
      containers:
        - name: app
          lifecycle:
            preStop:
              sleep:
                seconds: 45   # > 30: the Deployment is rejected`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      if (pa.pod.knative) continue;
      const G = pa.grace.value;
      if (G === undefined || G < 0) continue;
      for (const c of hookContainers(pa)) {
        for (const { name, hook } of hooksOf(c)) checkHook(ctx, pa, c, name, hook, G);
      }
    }
  },
};

/** What `seconds` holds, as the API server would decode it. */
type SecondsValue = { kind: 'int'; n: number } | { kind: 'float'; n: number } | { kind: 'quoted'; n: number } | { kind: 'unknown' };

function secondsValue(ctx: RuleContext, node: Scalar): SecondsValue {
  const r = node.range;
  if (node.type === 'PLAIN' || node.type === undefined) {
    const source = r ? ctx.text.slice(r[0], r[1]) : String(node.value);
    const g = resolvePlainV2(source);
    if (g.type === 'int') return { kind: 'int', n: g.value };
    if (g.type === 'float' && Number.isFinite(g.value)) return Number.isInteger(g.value) ? { kind: 'int', n: g.value } : { kind: 'float', n: g.value };
    return { kind: 'unknown' };
  }
  // A quoted number is a JSON string: int64 cannot hold it. Other strings are placeholders: unknown.
  if (typeof node.value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(node.value)) return { kind: 'quoted', n: Number(node.value) };
  return { kind: 'unknown' };
}

function checkHook(ctx: RuleContext, pa: PodAnalysis, c: ContainerInfo, name: HookName, hook: HookInfo, G: number): void {
  if (!hook.handlers.some((h) => h.type === 'sleep')) return;
  const allowZeroCmp = compareVersion(ctx.settings.kubernetesVersion, 1, 33);
  const zeroRejected = allowZeroCmp !== undefined && allowZeroCmp < 0;
  const zeroAccepted = allowZeroCmp !== undefined && allowZeroCmp >= 0;
  const who = containerLabel(c);
  const kind = pa.pod.object.kind ?? 'object';
  const graceText = `${G}s (${ctx.where(pa.grace.source)})`;
  const related: RelatedValue[] = [];
  const graceAt = rangeOf(pa.grace.node);
  if (graceAt) related.push({ range: graceAt, message: `grace period: ${G}s` });
  const k8sMessage = zeroAccepted
    ? `"must be non-negative and less than terminationGracePeriodSeconds (${G})"`
    : `"must be greater than 0 and less than terminationGracePeriodSeconds (${G})"`;

  const node = hook.sleepSeconds?.node;
  if (!node) {
    // `sleep: {}`: seconds is a required int64 and reads as 0.
    const sleepPair = hook.handlers.find((h) => h.type === 'sleep')?.pair;
    const sleepMap = deref(pa.pod.doc, sleepPair?.value);
    if (!sleepPair || !isMap(sleepMap) || pairOf(sleepMap, 'seconds') || !zeroRejected) return;
    const at = keyRange(sleepPair);
    if (!at) return;
    ctx.report({
      range: at,
      message: `The ${name} sleep of ${who} has no seconds, which reads as 0, and Kubernetes ${ctx.settings.kubernetesVersion} (setting kubernetesVersion) rejects 0 (${k8sMessage}): the ${kind} cannot be applied.`,
      related,
    });
    return;
  }
  if (!isScalar(node) || !node.range) return;
  const v = secondsValue(ctx, node);
  if (v.kind === 'unknown') return;
  const n = v.n;
  const notInteger = v.kind !== 'int';
  const tooLong = n > G;
  const negative = n < 0;
  const zero = !notInteger && n === 0 && zeroRejected;
  if (!notInteger && !tooLong && !negative && !zero) return;

  const written = ctx.text.slice(node.range[0], node.range[1]);
  const problems: string[] = [];
  if (v.kind === 'quoted') problems.push(`it is the string ${written}, but seconds is an int64, so the API server cannot decode it`);
  else if (v.kind === 'float') problems.push(`${written} is not an integer (seconds is an int64), so the API server cannot decode it`);
  if (tooLong) problems.push(`${n}s is more than the grace period of ${graceText}, so Kubernetes rejects it (${k8sMessage})`);
  else if (negative) problems.push(`a negative sleep is rejected (${k8sMessage})`);
  else if (zero) problems.push(`0 is accepted only from Kubernetes 1.33 (PodLifecycleSleepActionAllowZero) and kubernetesVersion is ${ctx.settings.kubernetesVersion}, so Kubernetes rejects it (${k8sMessage})`);
  const graceZeroNote = tooLong && G === 0 && name === 'preStop' ? ' With a grace period of 0 the kubelet does not run preStop hooks at all.' : '';
  const message = `The ${name} sleep.seconds of ${who} is invalid: ${problems.join('; ')}. The ${kind} cannot be applied.${graceZeroNote}`;

  ctx.report({ range: { start: node.range[0], end: node.range[1] }, message, related, fixes: fixesFor(ctx, pa, c, name, hook, node, n, G, zeroAccepted) });
}

function fixesFor(ctx: RuleContext, pa: PodAnalysis, c: ContainerInfo, name: HookName, hook: HookInfo, node: Scalar, n: number, G: number, zeroAccepted: boolean): Fix[] {
  const fixes: Fix[] = [];
  const r = node.range!;
  const setSeconds = (s: number) => ({ start: r[0], end: r[1], newText: String(s) });
  const written = ctx.text.slice(r[0], r[1]);
  const minimum = zeroAccepted ? 0 : 1;
  if (n > G) {
    if (G === 0 && name === 'preStop') {
      const rm = removeHookEdit(ctx.text, c, hook.pair);
      if (rm) fixes.push({ title: 'Remove the preStop hook (it never runs with terminationGracePeriodSeconds: 0)', edits: [rm], preferred: true });
    }
    const want = Math.ceil(n);
    const newG = Math.max(G, want + ctx.margin);
    const g = graceEdit(ctx.text, pa, newG);
    if (g) {
      const edits = [g];
      if (String(want) !== written) edits.push(setSeconds(want));
      fixes.push({ title: `Raise terminationGracePeriodSeconds to ${newG}`, edits, preferred: fixes.length === 0 });
    }
    if (G >= minimum) fixes.push({ title: `Lower sleep.seconds to ${G}`, edits: [setSeconds(G)] });
    return fixes;
  }
  // Negative, a rejected zero, or not an integer (within the grace period).
  let target = Math.ceil(n);
  if (target < minimum) target = minimum;
  if (target > G) target = Math.floor(n) >= minimum ? Math.floor(n) : minimum;
  if (target > G) {
    // Only possible with G = 0 (or G < minimum): nothing fits; removing a preStop is the way out.
    if (name === 'preStop') {
      const rm = removeHookEdit(ctx.text, c, hook.pair);
      if (rm) fixes.push({ title: 'Remove the preStop hook (it never runs with terminationGracePeriodSeconds: 0)', edits: [rm], preferred: true });
    }
    return fixes;
  }
  fixes.push({ title: `Set sleep.seconds to ${target}`, edits: [setSeconds(target)], preferred: true });
  return fixes;
}
