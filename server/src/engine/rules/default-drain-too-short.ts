/**
 * default-drain-too-short: the pod raises its grace period past Kubernetes' 30 s default but
 * leaves the sidecar on Istio's 5 s drain, so istio-proxy exits long before the app is
 * given up to.
 */
import { formatDuration } from '../duration';
import type { Fix, RelatedValue } from '../types';
import { rangeOf } from '../yaml/nodes';
import type { Rule, RuleContext } from './rule';
import { drainFix, nativeFix } from './timing-helpers';

/** Kubernetes' default grace period: a value above it was raised on purpose. */
const K8S_DEFAULT_GRACE = 30;

export const defaultDrainTooShort: Rule = {
  id: 'default-drain-too-short',
  severity: 'information',
  title: "A long grace period with the sidecar's default 5s drain",
  needs: 'injection',
  docs: {
    why: `A \`terminationGracePeriodSeconds\` above Kubernetes' 30 s default says the app needs that long to stop: long requests, a queue to flush, connections to close. A classic (non-native) istio-proxy does not follow it. It gets SIGTERM when the pod starts terminating (after its own preStop, if any), drains for \`terminationDrainDuration\`, which is 5 s unless the pod's \`proxy.istio.io/config\` or the mesh's \`defaultConfig\` says otherwise, and exits. For the rest of the grace period the app has no sidecar: its outbound calls are redirected to Envoy's ports with nothing listening, and inbound requests that were still arriving fail.

The rule fires when the grace period is written in the pod and is above 30 s, the drain is Istio's default (neither the pod's annotation nor the \`defaultDrainDuration\` setting gives one), and the istio-proxy preStop plus the drain ends before the grace period does. It is silent for native sidecars (the proxy outlives the app by design), with \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` (the drain is not used; the proxy stays while connections are open), and when the istio-proxy preStop waits for the app or its length is not known. Gateway pods are checked too: a gateway's proxy *is* the workload, and with a long grace period and the default drain it still closes its listeners after 5 s, cutting the long-lived connections the grace period was raised for.

Only the pod's own files are visible to Drainguard: if the mesh sets \`meshConfig.defaultConfig.terminationDrainDuration\`, tell it with the \`defaultDrainDuration\` setting and this rule goes quiet.`,
    fix: `Set \`terminationDrainDuration\` in the pod's \`proxy.istio.io/config\` to the grace period minus the istio-proxy preStop (the quick fix merges it into an existing annotation or adds one). pilot-agent waits the whole drain before it stops Envoy, so the pod then always takes about that long to terminate. A native sidecar (\`sidecar.istio.io/nativeSidecar: "true"\`) avoids the fixed wait: the proxy stops right after the app exits.`,
    versions: '`terminationDrainDuration` (default 5s) since Istio 1.7; the 5 s drain since Istio 1.1. Native sidecars: Istio 1.24+ for the annotation, Kubernetes 1.29+.',
    sources: [
      'istio-facts.md §1.1 (default 5s), §2 (where the mesh default lives), §3 (pilot-agent shutdown sequence), §8 (terminationGracePeriodSeconds default 30)',
      'istio/istio pkg/config/mesh/mesh.go (DefaultProxyConfig)',
      'istio/istio pkg/envoy/agent.go (terminate)',
    ],
    example: `metadata:
  labels:
    sidecar.istio.io/inject: "true"
spec:
  terminationGracePeriodSeconds: 120   # the proxy still leaves after 5s
  containers:
    - name: worker`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      if (!pa.injection.injected || pa.native.value || pa.exitOnZero.value) continue;
      if (pa.drain.source.kind !== 'istio-default' || pa.drain.value === undefined) continue;
      if (pa.proxyPreStop.waitsForApp || !pa.proxyPreStop.exact) continue;
      const G = pa.grace.value;
      const graceRange = rangeOf(pa.grace.node);
      if (G === undefined || !graceRange || G <= K8S_DEFAULT_GRACE) continue;
      const P = pa.proxyPreStop.seconds;
      const D = pa.drain.value;
      if (P + D >= G) continue;
      const fmt = formatDuration;
      const related: RelatedValue[] = [];
      const proxyNode = rangeOf(pa.proxyPreStop.hook?.duration?.node);
      if (proxyNode) related.push({ range: proxyNode, message: `istio-proxy preStop: ${fmt(P)}` });
      const exits = P > 0 ? `${fmt(P + D)} into the shutdown (its ${fmt(P)} preStop plus Istio's default ${fmt(D)} drain)` : `${fmt(D)} after SIGTERM (Istio's default terminationDrainDuration)`;
      const message =
        `The grace period gives the app up to ${G}s to stop, but istio-proxy exits ${exits}, so what the app sends or serves in the last ${fmt(G - P - D)} fails. ` +
        'If the mesh sets meshConfig.defaultConfig.terminationDrainDuration, give it to Drainguard with the defaultDrainDuration setting.';
      const fixes: Fix[] = [];
      const newD = G - P;
      const d = drainFix(ctx, pa, newD, `Set terminationDrainDuration to ${fmt(newD)}${P > 0 ? ' (the grace period minus the istio-proxy preStop)' : ' (the grace period)'}`, true);
      if (d) fixes.push(d);
      const native = nativeFix(ctx, pa);
      if (native) fixes.push(native);
      ctx.report({ range: graceRange, message, related, fixes });
    }
  },
};
