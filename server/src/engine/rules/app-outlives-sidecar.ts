/**
 * app-outlives-sidecar: an app container's preStop lasts at least as long as the classic
 * sidecar's preStop plus drain, so istio-proxy is gone before the app even gets SIGTERM and
 * everything the app does on the network while it shuts down fails.
 */
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import type { ContainerInfo } from '../model/pod-template';
import type { Fix, RelatedValue } from '../types';
import { rangeOf } from '../yaml/nodes';
import type { Rule, RuleContext } from './rule';
import { drainFix, nativeFix } from './timing-helpers';
import { meshSourcesFor } from '../model/effective';
import { injectorFixSafe, insertWaitForAppEdit } from './injector-no-prestop';
import { textHash } from '../text';

export const appOutlivesSidecar: Rule = {
  id: 'app-outlives-sidecar',
  severity: 'warning',
  title: "An app container's preStop outlasts the sidecar",
  needs: 'injection',
  docs: {
    why: `With a classic (non-native) sidecar, Kubernetes stops all containers of the pod in parallel: each runs its own preStop hook and then gets SIGTERM. An app's preStop \`sleep\` (commonly added so that endpoints are removed before the app stops serving) does not hold the sidecar back. istio-proxy runs its own preStop (usually none), gets SIGTERM, drains for \`terminationDrainDuration\` (5 s by default) and exits. When the app's preStop is at least as long as the proxy's preStop plus the drain, the proxy is gone before the app even gets SIGTERM. From then on the pod's iptables rules still redirect the app's traffic to Envoy's ports, where nothing listens, so every call the app makes while it shuts down (flushing a queue, deregistering, committing offsets, answering a last request) fails with connection refused or a reset.

With \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` on, pilot-agent ignores the drain duration: it waits \`MINIMUM_DRAIN_DURATION\` (5 s by default) and then exits as soon as Envoy's listeners hold no active downstream connection (clients calling in, or the app calling out through the proxy). An app that sits idle in its preStop holds none, so the proxy can be gone after *P* + \`MINIMUM_DRAIN_DURATION\`; the rule uses that threshold then.

The rule fires when *A* ≥ *P* + *D* (with EXIT_ON_ZERO: *A* ≥ *P* + \`MINIMUM_DRAIN_DURATION\`), where *A* is the app container's known preStop time (\`sleep.seconds\`, or a \`sleep N\` in its exec command), *P* the istio-proxy preStop (custom injection; 0 without one) and *D* the effective drain. It is silent for native sidecars (Kubernetes stops the sidecar only after the app has exited), for gateway pods (the proxy is the workload), when the istio-proxy preStop waits for the app's sockets to close (the netstat loop), when the app's or the proxy's preStop time is not known exactly, and for \`terminationGracePeriodSeconds: 0\` (no hooks run).`,
    fix: `Prefer a native sidecar: with \`sidecar.istio.io/nativeSidecar: "true"\` Kubernetes sends istio-proxy SIGTERM only after the last app container has exited, and the injected preStop drains inbound traffic while outbound keeps working. Otherwise raise \`terminationDrainDuration\` past the app's preStop (*A* − *P* plus the \`shutdownMargin\`) in \`proxy.istio.io/config\`, and the grace period with it; the quick fix does both. The drain is a fixed wait, so every shutdown of the pod then takes that long. With \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` on, raising the drain does nothing (the agent ignores it): switch to a native sidecar, or turn EXIT_ON_ZERO off and raise the drain.`,
    versions: 'Classic sidecar drain since Istio 1.1 (`terminationDrainDuration` since 1.7); `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` and `MINIMUM_DRAIN_DURATION` since 1.12. The `sidecar.istio.io/nativeSidecar` annotation needs Istio 1.24+; native sidecars need Kubernetes 1.29+ (`SidecarContainers` beta, on by default) and Istio 1.21+ for the drain preStop.',
    sources: [
      'istio-facts.md §3 (pilot-agent shutdown sequence, EXIT_ON_ZERO_ACTIVE_CONNECTIONS, MINIMUM_DRAIN_DURATION), §4 (native sidecars), §8 (signal ordering), §10 (istio/istio#7136), "Derived checks" 3',
      'istio/istio pkg/envoy/agent.go (terminate)',
      'Kubernetes pod-lifecycle.md: "Pod shutdown and sidecar containers"',
    ],
    example: `metadata:
  labels:
    sidecar.istio.io/inject: "true"
spec:
  containers:
    - name: web
      lifecycle:
        preStop:
          sleep:
            seconds: 15   # the proxy exits after its 5s default drain`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      if (!pa.injection.injected || pa.native.value || pa.gateway) continue;
      if (pa.proxyPreStop.waitsForApp || !pa.proxyPreStop.exact) continue;
      const G = pa.grace.value;
      if (G !== undefined && G <= 0) continue;
      const P = pa.proxyPreStop.seconds;
      const exitOnZero = pa.exitOnZero.value;
      const D = exitOnZero ? pa.minDrain.value : pa.drain.value;
      if (D === undefined) continue;
      for (const app of pa.apps) {
        const dur = app.preStop?.duration;
        if (!dur) continue;
        if (dur.seconds < P + D) continue;
        report(ctx, pa, app, dur.seconds, dur.exact, P, D);
      }
    }
  },
};

function report(ctx: RuleContext, pa: PodAnalysis, app: ContainerInfo, A: number, exactA: boolean, P: number, D: number): void {
  const fmt = formatDuration;
  const node = app.preStop!.duration!.node;
  const range = rangeOf(node);
  if (!range) return;
  const exitOnZero = pa.exitOnZero.value;
  const related: RelatedValue[] = [];
  const proxyNode = rangeOf(pa.proxyPreStop.hook?.duration?.node);
  if (proxyNode) related.push({ range: proxyNode, message: `istio-proxy preStop: ${fmt(P)}` });
  if (exitOnZero) {
    const eoz = pa.exitOnZero.source;
    if (eoz.kind === 'file' && eoz.uri === ctx.uri) related.push({ range: eoz.range, message: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS: the drain duration is not used' });
    const md = pa.minDrain.source;
    if (md.kind === 'file' && md.uri === ctx.uri) related.push({ range: md.range, message: `MINIMUM_DRAIN_DURATION: ${fmt(D)}` });
  } else if (pa.drain.own && pa.drain.range) {
    related.push({ range: pa.drain.range, message: `drain: ${fmt(D)}` });
  }

  const name = app.name !== undefined ? `Container "${app.name}"` : 'This container';
  const sleeps = `${name} sleeps ${exactA ? '' : 'at least '}${fmt(A)} in its preStop`;
  const gap = A - (P + D);
  const when = gap > 0 ? `, ${exactA ? '' : 'at least '}${fmt(gap)} before the app even gets SIGTERM` : ', just as the app gets SIGTERM';
  let message: string;
  if (exitOnZero) {
    const pre = P > 0 ? `${fmt(P + D)} into the shutdown (its ${fmt(P)} preStop plus MINIMUM_DRAIN_DURATION ${fmt(D)}, ${ctx.where(pa.minDrain.source)})` : `${fmt(D)} after SIGTERM (MINIMUM_DRAIN_DURATION, ${ctx.where(pa.minDrain.source)})`;
    message =
      `${sleeps}, but with EXIT_ON_ZERO_ACTIVE_CONNECTIONS on (${ctx.where(pa.exitOnZero.source)}) istio-proxy may exit ${pre} once the idle app holds no connections${when}. ` +
      `The app's calls while it shuts down then fail, and raising terminationDrainDuration does not help: the agent ignores it in this mode.`;
  } else {
    const pre = P > 0 ? `runs its ${fmt(P)} preStop, drains for ${fmt(D)} (${ctx.where(pa.drain.source)}) and exits ${fmt(P + D)} into the shutdown` : `gets SIGTERM at once and exits after its ${fmt(D)} drain (${ctx.where(pa.drain.source)})`;
    message = `${sleeps}, but istio-proxy ${pre}${when}. The calls the app makes while it shuts down then fail, because its traffic is still redirected to the gone proxy.`;
  }

  const fixes: Fix[] = [];
  const native = nativeFix(ctx, pa);
  if (!exitOnZero) {
    // Past the app's preStop by the margin (at least a second, so a zero margin still clears the finding).
    const newD = A - P + Math.max(ctx.margin, 1);
    const d = drainFix(ctx, pa, newD, `Raise terminationDrainDuration to ${fmt(newD)}`, true);
    if (d) fixes.push(d);
  }
  // Never preferred: it changes how the pod runs and needs Istio 1.24+ and Kubernetes 1.29+, so `--fix` does not apply it unasked.
  if (native) fixes.push(native);
  const injector = injectorFix(ctx, pa);
  if (injector) fixes.push(injector);
  ctx.report({ range, message, related, fixes });
}

/**
 * When the workspace holds exactly one injector configuration for the pod's revision (an
 * injector ConfigMap, IstioOperator, Sail Istio or istiod Helm values) and it sets no
 * lifecycle, offer the mesh-wide wait-for-the-app preStop there: an edit on that other file.
 */
function injectorFix(ctx: RuleContext, pa: PodAnalysis): Fix | undefined {
  if (pa.proxyContainer?.lifecyclePair || pa.proxyPreStop.waitsForApp) return undefined;
  const candidates = meshSourcesFor(ctx.context, pa.revision).filter((m) => m.kind !== 'mesh ConfigMap' && m.kind !== '.drainguard.yaml');
  if (candidates.length !== 1) return undefined;
  const m = candidates[0]!;
  if (m.lifecycle || !injectorFixSafe(ctx, m)) return undefined;
  const edit = insertWaitForAppEdit(m);
  if (!edit) return undefined;
  const file = m.uri.replace(/^.*[\\/]/, '');
  return { title: `Add a wait-for-the-app preStop for every pod of revision ${pa.revision} in ${file}`, edits: [{ ...edit, uri: m.uri, sourceHash: textHash(m.text) }] };
}
