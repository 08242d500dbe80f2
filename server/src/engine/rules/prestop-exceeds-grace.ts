/**
 * prestop-exceeds-grace: an exec preStop hook that sleeps for the whole grace period or
 * longer, so the container is cut off before it ever gets a graceful SIGTERM.
 */
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import type { ContainerInfo, HookInfo } from '../model/pod-template';
import type { RelatedValue } from '../types';
import { rangeOf } from '../yaml/nodes';
import { graceEdit } from './fixes';
import { containerLabel, hookContainers } from './lifecycle-helpers';
import type { Rule, RuleContext } from './rule';

export const prestopExceedsGrace: Rule = {
  id: 'prestop-exceeds-grace',
  severity: 'warning',
  title: 'An exec preStop hook takes the whole grace period',
  needs: 'kubernetes',
  docs: {
    why: `The grace period (\`terminationGracePeriodSeconds\`, 30 s by default) starts counting **before** the preStop hook runs, and a container gets SIGTERM only after its preStop hook ends. When an \`exec\` preStop hook is still running at the end of the grace period, the kubelet gives it a one-off extension of 2 s and then stops the container: SIGTERM followed by SIGKILL about 2 s later. So a hook that sleeps for *P ≥ G* seconds means the process never gets a real graceful shutdown: in-flight requests are cut, buffers are not flushed, and for istio-proxy Envoy has about 2 s instead of \`terminationDrainDuration\` to drain.

Unlike the kubelet's \`sleep\` action, an exec hook is not validated against the grace period, so the API server accepts it and the problem shows only at shutdown. The rule reads the hook's known duration: \`["sleep", "40"]\`, \`["sh", "-c", "sleep 40"]\`, sums such as \`sleep 20; sleep 20\`, and leading sleeps of longer scripts (\`sleep 40 && nginx -s quit\`: at least 40 s). Unknown durations (\`sleep $DRAIN\`, loops, scripts) stay silent.

It looks at every container that may carry hooks (regular containers and \`restartPolicy: Always\` init containers), Istio or not. It is silent for \`terminationGracePeriodSeconds: 0\` (hooks do not run at all then) and for \`sleep:\` action hooks (\`prestop-sleep-invalid\` covers those: the API server rejects them). On a classic istio-proxy whose preStop plus drain already exceeds the grace period, \`drain-exceeds-grace\` reports the same problem and this rule stays silent.`,
    fix: `Raise \`terminationGracePeriodSeconds\` to the hook's duration plus the time the container needs after SIGTERM (the quick fix adds \`shutdownMargin\`), or shorten the hook.`,
    versions: 'All Kubernetes versions; the 2 s extension is documented in pod-lifecycle.md ("Termination of Pods").',
    sources: [
      'istio-facts.md §8 (budget semantics, preStop overrun, signal ordering)',
      'Kubernetes docs: container-lifecycle-hooks.md ("Hook handler execution"), pod-lifecycle.md ("Termination of Pods")',
    ],
    example: `spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: app
      lifecycle:
        preStop:
          exec:
            command: ["sleep", "30"]   # SIGTERM arrives only with SIGKILL 2 s behind it`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const G = pa.grace.value;
      if (G === undefined || G <= 0) continue;
      for (const c of hookContainers(pa)) {
        const hook = c.preStop;
        if (!hook || hook.handlers.length !== 1 || hook.handlers[0]?.type !== 'exec') continue;
        const d = hook.duration;
        if (!d || d.seconds < G || !d.node.range) continue;
        if (coveredByDrainRule(pa, c, d.seconds, G)) continue;
        report(ctx, pa, c, d, G);
      }
    }
  },
};

/** drain-exceeds-grace already reports a classic istio-proxy whose preStop plus drain exceeds the grace period. */
function coveredByDrainRule(pa: PodAnalysis, c: ContainerInfo, P: number, G: number): boolean {
  if (c !== pa.proxyContainer) return false;
  if (!pa.injection.injected || pa.native.value || pa.exitOnZero.value) return false;
  const D = pa.drain.value;
  return D !== undefined && P + D > G;
}

function report(ctx: RuleContext, pa: PodAnalysis, c: ContainerInfo, d: NonNullable<HookInfo['duration']>, G: number): void {
  const fmt = formatDuration;
  const r = d.node.range!;
  const related: RelatedValue[] = [];
  const graceAt = rangeOf(pa.grace.node);
  if (graceAt) related.push({ range: graceAt, message: `grace period: ${G}s` });
  const atLeast = d.exact ? '' : 'at least ';
  const over = d.seconds > G ? `${fmt(d.seconds - G)} longer than` : 'as long as';
  const message =
    `The preStop hook of ${containerLabel(c)} runs for ${atLeast}${fmt(d.seconds)}, ${over} the grace period of ${G}s (${ctx.where(pa.grace.source)}): ` +
    `the kubelet cuts the hook off, and the container gets SIGTERM with only about 2s before SIGKILL, so it never shuts down gracefully.`;
  // The rule fires from P >= G, so the new grace period must be past the hook even with a zero
  // margin (a 30s hook and shutdownMargin 0s: 31, not 30; found by the fuzzer).
  const newG = Math.max(Math.floor(d.seconds) + 1, Math.ceil(d.seconds) + ctx.margin);
  const g = graceEdit(ctx.text, pa, newG);
  const fixes = g ? [{ title: `Raise terminationGracePeriodSeconds to ${newG}`, edits: [g], preferred: true }] : [];
  ctx.report({ range: { start: r[0], end: r[1] }, message, related, fixes });
}
