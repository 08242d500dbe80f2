/**
 * drain-exceeds-grace: a classic sidecar's preStop plus drain does not fit in the grace
 * period, so the kubelet SIGKILLs Envoy mid-drain.
 */
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import type { Range, RelatedValue } from '../types';
import { rangeOf } from '../yaml/nodes';
import { drainEdit, graceEdit } from './fixes';
import type { Rule, RuleContext } from './rule';

export const drainExceedsGrace: Rule = {
  id: 'drain-exceeds-grace',
  severity: 'error',
  title: "The sidecar's drain outlasts the pod's grace period",
  needs: 'injection',
  docs: {
    why: `At pod deletion the kubelet starts the grace period (\`terminationGracePeriodSeconds\`, 30 s by default) and runs every container's preStop hook. A classic (non-native) istio-proxy gets SIGTERM when its own preStop ends; pilot-agent then drains Envoy's inbound listeners for \`terminationDrainDuration\` (5 s by default) and only then stops Envoy. When the proxy's preStop plus the drain is longer than the grace period, the kubelet SIGKILLs Envoy in the middle of the drain: in-flight requests are cut and clients see resets and 503s.

The rule fires when *P + D > G* (strictly: equal is fine), where *P* is the known part of the istio-proxy preStop (custom injection), *D* the effective drain (the pod's \`proxy.istio.io/config\`, else \`defaultDrainDuration\`, else Istio's 5 s) and *G* the grace period. It is silent for native sidecars and with \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` (the drain duration is not used then), and for \`terminationGracePeriodSeconds: 0\`, which asks for an immediate kill on purpose.`,
    fix: `Raise \`terminationGracePeriodSeconds\` to at least *P + D* plus a margin (the preferred quick fix, using the \`shutdownMargin\` setting), or lower \`terminationDrainDuration\` to *G − P*.`,
    versions: '`terminationDrainDuration` exists since Istio 1.7; the drain-on-SIGTERM behaviour since Istio 1.1.',
    sources: ['istio-facts.md §1.1, §3 ("terminationDrainDuration > terminationGracePeriodSeconds")', 'istio/istio pkg/envoy/agent.go (terminate)', 'Kubernetes pod-lifecycle.md: pod termination'],
    example: `spec:
  template:
    metadata:
      annotations:
        proxy.istio.io/config: |
          terminationDrainDuration: 45s   # > 30s default grace period
    spec:
      containers: [...]`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      if (!pa.injection.injected || pa.native.value || pa.exitOnZero.value) continue;
      const G = pa.grace.value;
      const D = pa.drain.value;
      if (G === undefined || D === undefined || G <= 0) continue;
      const P = pa.proxyPreStop.seconds;
      if (P + D <= G) continue;
      report(ctx, pa, P, D, G);
    }
  },
};

function report(ctx: RuleContext, pa: PodAnalysis, P: number, D: number, G: number): void {
  const fmt = formatDuration;
  const drainAt = pa.drain.own ? pa.drain.range : undefined;
  const graceAt = rangeOf(pa.grace.node);
  const range: Range = drainAt ?? graceAt ?? rangeOf(pa.pod.specPair.key)!;
  const related: RelatedValue[] = [];
  if (graceAt && range !== graceAt) related.push({ range: graceAt, message: `grace period: ${G}s` });
  if (drainAt && range !== drainAt) related.push({ range: drainAt, message: `drain: ${fmt(D)}` });
  const hookNode = pa.proxyPreStop.hook?.duration?.node;
  if (hookNode && rangeOf(hookNode)) related.push({ range: rangeOf(hookNode)!, message: `istio-proxy preStop: ${pa.proxyPreStop.exact ? '' : 'at least '}${fmt(P)}` });
  const pre = P > 0 ? `runs its ${pa.proxyPreStop.exact ? '' : 'at least '}${fmt(P)} preStop, then ` : '';
  const message =
    `Envoy is killed mid-drain: istio-proxy ${pre}drains for ${fmt(D)} (${ctx.where(pa.drain.source)})${P > 0 ? `, ${fmt(P + D)} in all` : ''}, ` +
    `but the grace period is ${G}s (${ctx.where(pa.grace.source)}), so SIGKILL comes ${fmt(P + D - G)} before the drain ends.`;
  const fixes = [];
  const newG = Math.ceil(P + D) + ctx.margin;
  const g = graceEdit(ctx.text, pa, newG);
  if (g) fixes.push({ title: `Raise terminationGracePeriodSeconds to ${Math.ceil(newG)}`, edits: [g], preferred: true });
  const newD = G - P;
  if (newD > 0) {
    const d = drainEdit(ctx.text, pa, newD);
    if (d) fixes.push({ title: `Lower terminationDrainDuration to ${fmt(newD)}`, edits: [d] });
  }
  ctx.report({ range, message, related, fixes });
}
