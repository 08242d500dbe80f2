/**
 * drain-setting-ignored: the pod sets `terminationDrainDuration`, but its sidecar never reads
 * it: native sidecars drain in their preStop and exit at once on SIGTERM, and
 * EXIT_ON_ZERO_ACTIVE_CONNECTIONS replaces the fixed wait with a wait for zero connections.
 */
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import type { Fix, RelatedValue } from '../types';
import { drains } from './native-sidecar-lifecycle-override';
import type { Rule, RuleContext } from './rule';
import { removeDrainEdit, writtenDrain } from './timing-helpers';

export const drainSettingIgnored: Rule = {
  id: 'drain-setting-ignored',
  severity: 'hint',
  title: 'terminationDrainDuration that the sidecar never uses',
  needs: 'annotation',
  unnecessary: true,
  docs: {
    why: `\`terminationDrainDuration\` is how long pilot-agent waits after SIGTERM before it stops Envoy, in the classic shutdown. Two modes never do that wait, so a drain written in the pod's \`proxy.istio.io/config\` has no effect and only suggests a guarantee that does not exist:

- **Native sidecar** (\`sidecar.istio.io/nativeSidecar\`, an \`istio-proxy\` init container with \`restartPolicy: Always\`, or native mode from the settings). The injected preStop calls the agent's \`/drain\` endpoint when the pod starts terminating; Kubernetes sends istio-proxy SIGTERM only after the last app container has exited, and the agent, already drained, exits at once. How long the proxy stays is set by the app's shutdown and the grace period, not by the drain.
- **\`EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"\`**. After SIGTERM the agent sleeps \`MINIMUM_DRAIN_DURATION\` (5 s by default) and then polls Envoy every second, exiting when its listeners hold no active downstream connection (inbound clients or the app's own outbound calls). \`terminationDrainDuration\` is not read; only the grace period's SIGKILL caps the wait.

In native mode the rule stays silent when the pod declares its own \`istio-proxy\` preStop (custom injection) that does not call the agent's drain endpoint on its status port, because that hook replaces the drain hook and the agent then falls back to the classic drain after the late SIGTERM. A mesh-wide \`global.proxy.lifecycle\` (injector ConfigMap, IstioOperator, Helm values in the same run or workspace) does the same, and the rule stays silent then too.`,
    fix: 'Remove `terminationDrainDuration` from the annotation (the quick fix removes its line or JSON entry, or the whole annotation when it held nothing else). To bound the shutdown, use `terminationGracePeriodSeconds`; with EXIT_ON_ZERO, `MINIMUM_DRAIN_DURATION` sets the shortest stay.',
    versions: 'Native sidecar drain hook since Istio 1.21 (annotation since 1.24, on by default with `ENABLE_NATIVE_SIDECARS=auto` since 1.27 on Kubernetes 1.33+ nodes); `EXIT_ON_ZERO_ACTIVE_CONNECTIONS` since Istio 1.12.',
    sources: [
      'istio-facts.md §3 (EXIT_ON_ZERO: "terminationDrainDuration is not used at all in this mode"), §4 (shutdown with native sidecars), §6 (custom istio-proxy lifecycle), "Derived checks" 4',
      'istio/istio pkg/envoy/agent.go (terminate, skipDrain)',
      'istio/istio pilot/cmd/pilot-agent/status/server.go (/drain)',
    ],
    example: `metadata:
  annotations:
    sidecar.istio.io/nativeSidecar: "true"
    proxy.istio.io/config: |
      terminationDrainDuration: 30s   # not used by a native sidecar`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const drain = pa.proxyConfig?.drain;
      if (!drain) continue;
      const native = pa.native.value && drainHookIntact(pa);
      if (!native && !pa.exitOnZero.value) continue;
      const written = writtenDrain(pa);
      const related: RelatedValue[] = [];
      let message: string;
      if (native) {
        const src = pa.native.source;
        if (src.kind === 'file' && src.uri === ctx.uri) related.push({ range: src.range, message: 'native sidecar mode' });
        message =
          `terminationDrainDuration ${written} is not used: istio-proxy runs as a native sidecar (${ctx.where(src)}), whose injected preStop drains Envoy at the start of the shutdown ` +
          'and whose agent exits at once when it gets SIGTERM after the app has stopped.';
      } else {
        const src = pa.exitOnZero.source;
        if (src.kind === 'file' && src.uri === ctx.uri) related.push({ range: src.range, message: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS' });
        message =
          `terminationDrainDuration ${written} is not used: with EXIT_ON_ZERO_ACTIVE_CONNECTIONS on (${ctx.where(src)}) pilot-agent waits MINIMUM_DRAIN_DURATION ` +
          `(${formatDuration(pa.minDrain.value)}, ${ctx.where(pa.minDrain.source)}) and then exits once no connection is active, capped only by the grace period.`;
      }
      const fixes: Fix[] = [];
      const e = removeDrainEdit(ctx.text, pa);
      // Not preferred: removing configuration (and the comments in its block) is for a person to decide, not --fix.
      if (e) fixes.push({ title: 'Remove the unused terminationDrainDuration', edits: [e] });
      ctx.report({ range: drain.field.valueNode.range, message, related, fixes });
    }
  },
};

/**
 * Whether native mode keeps its injected drain preStop: there is no custom istio-proxy preStop,
 * or the custom one is itself the drain call (`pilot-agent request ... POST drain`). Any other
 * custom preStop replaces the drain hook (istio-facts.md §4, §6).
 */
function drainHookIntact(pa: PodAnalysis): boolean {
  // A mesh-wide global.proxy.lifecycle replaces the injected drain hook for every pod.
  if (pa.meshLifecycle) return false;
  const hook = pa.proxyContainer?.preStop;
  if (!hook) return true;
  return hook.handlers.length === 1 && drains(pa, hook);
}
