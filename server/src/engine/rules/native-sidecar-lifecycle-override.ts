/**
 * native-sidecar-lifecycle-override: a custom istio-proxy `lifecycle` in a pod whose sidecar
 * is native. Custom injection strategic-merges it over the injected container, whose preStop
 * is Istio's drain hook: an exec override replaces the drain, a sleep/httpGet override sits
 * next to the exec and the pod is rejected.
 */
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { formatDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import type { HookInfo } from '../model/pod-template';
import type { Fix, RelatedValue } from '../types';
import { keyRange, pairOf } from '../yaml/nodes';
import { isNullValue, removeHookEdit } from './lifecycle-helpers';
import { nativeFor } from './injector-no-prestop';
import type { Rule, RuleContext } from './rule';

export const nativeSidecarLifecycleOverride: Rule = {
  id: 'native-sidecar-lifecycle-override',
  severity: 'warning',
  title: "A custom istio-proxy lifecycle overrides the native sidecar's drain hook",
  needs: 'injection',
  docs: {
    why: `With native sidecars (Istio ≥ 1.21 in native mode) the injector gives istio-proxy a preStop hook \`exec: [pilot-agent, request, --debug-port=<status port>, POST, drain]\`. It runs when pod termination starts, in parallel with the app's own hooks: Envoy starts draining inbound listeners at once, outbound keeps working, and istio-proxy gets SIGTERM only after the last app container has exited, then exits immediately.

Declaring a container named \`istio-proxy\` in the pod template (custom injection) applies its fields as a **strategic merge patch** over the injected container. A \`lifecycle\` there interacts with the drain hook in one of two ways:
- **An \`exec\` preStop replaces the drain command** (exec command lists are replaced, not merged). Envoy is no longer drained when termination starts; the agent drains only after its late SIGTERM, for \`terminationDrainDuration\`, once the app is already gone. Inbound requests keep arriving while the app shuts down, and every shutdown takes the drain time longer.
- **A \`sleep\` or \`httpGet\` preStop is merged next to the injected \`exec\`**: the resulting hook has two handler types, and Kubernetes rejects every pod the webhook produces ("may not specify more than 1 handler type"). The ReplicaSet or Job cannot create pods at all.

A \`$patch: replace\` or \`$patch: delete\` directive in the custom hook (or in \`lifecycle\`) swaps or drops the drain hook outright. A custom preStop that itself calls \`pilot-agent request --debug-port=<status port> POST drain\` (or POSTs \`/drain\` on the status port) keeps the drain and is not reported; nor is a \`lifecycle\` with only \`postStart\`, which merges without touching the preStop.

This is inferred from the injector's source and test data (custom injection merge, istio-facts.md §6), not tested on a cluster. Pods that were already injected (\`sidecar.istio.io/status\` annotation) are skipped: there the declared lifecycle is the final one, not an override.

It also fires on a mesh-wide \`global.proxy.lifecycle\` (injector ConfigMap, IstioOperator, Sail, istiod Helm values) of a revision that runs native sidecars: the injection template's if/else chain copies that lifecycle instead of adding the drain preStop, for every pod.`,
    fix: `Remove the custom preStop (the quick fix, preferred when the merge would be rejected): in native mode istio-proxy already outlives the app, so a delay hook is not needed. If the override is deliberate (for example to avoid the outbound \`connection: close\` of istio/istio#51855), keep the drain in it: \`exec: {command: [pilot-agent, request, --debug-port=15020, POST, drain]}\` followed by your own steps, and suppress this finding.`,
    versions: 'Native sidecars: Istio 1.19+ (drain preStop since 1.21), Kubernetes 1.29+ (beta, on by default). Custom injection (an `istio-proxy` container in the template): Istio 1.9+.',
    sources: [
      'istio-facts.md §4 (native sidecars, the injected drain preStop, "global.proxy.lifecycle wins"), §6 (custom injection is a strategic merge; the two-handler risk), "Derived checks" 4',
      'istio/istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml (lifecycle block); pkg/kube/inject/webhook.go (overrides)',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go (`validateHandler`)',
    ],
    example: `metadata:
  annotations:
    sidecar.istio.io/nativeSidecar: "true"
spec:
  containers:
    - name: istio-proxy
      image: auto
      lifecycle:          # merged into the injected drain hook: exec + sleep, rejected
        preStop:
          sleep:
            seconds: 10`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const proxy = pa.proxyContainer;
      if (!proxy?.lifecyclePair || isNullValue(proxy.lifecyclePair)) continue;
      if (!pa.native.value || !pa.injection.injected) continue;
      if (pairOf(pa.pod.annotations, 'sidecar.istio.io/status')) continue;
      const verdict = classify(pa, proxy.lifecycle, proxy.preStop);
      if (verdict) report(ctx, pa, verdict);
    }
    // A mesh-wide global.proxy.lifecycle replaces the drain hook of every native sidecar.
    for (const m of ctx.mesh) {
      if (!m.lifecycle || !nativeFor(ctx, m)) continue;
      ctx.report({
        range: m.lifecycle.range,
        message: `${m.label}: with native sidecars, Istio injects a preStop that drains the proxy (pilot-agent request POST drain) only when global.proxy.lifecycle is empty; this lifecycle replaces it for every pod of revision ${m.revision}, so the proxy falls back to the classic drain after its late SIGTERM.`,
      });
    }
  },
};

type Verdict = { kind: 'merge'; types: string[] } | { kind: 'replace'; how: string };

function patchDirective(map: YAMLMap | undefined): string | undefined {
  const v = pairOf(map, '$patch')?.value;
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
}

function classify(pa: PodAnalysis, lifecycle: YAMLMap | undefined, hook: HookInfo | undefined): Verdict | undefined {
  if (!isMap(lifecycle)) return undefined;
  const lcPatch = patchDirective(lifecycle);
  if (lcPatch === 'delete') return { kind: 'replace', how: 'deletes the injected lifecycle ($patch: delete), and with it the drain preStop' };
  const hookPatch = patchDirective(hook?.node);
  if (!hook || !hook.node) {
    return lcPatch === 'replace' ? { kind: 'replace', how: 'replaces the injected lifecycle ($patch: replace) without a preStop, dropping the drain hook' } : undefined;
  }
  if (hookPatch === 'delete') return { kind: 'replace', how: 'deletes the injected drain preStop ($patch: delete)' };
  const types = hook.handlers.map((h) => h.type);
  if (types.length > 1) return undefined; // invalid-lifecycle-handler reports the hook itself.
  const replaces = lcPatch === 'replace' || hookPatch === 'replace';
  if (types.length === 0) {
    return replaces ? { kind: 'replace', how: 'replaces the injected drain preStop with an empty hook' } : undefined;
  }
  const type = types[0]!;
  if (type === 'exec') {
    if (drains(pa, hook)) return undefined;
    return { kind: 'replace', how: 'replaces the command of the injected drain preStop (exec command lists are replaced, not merged)' };
  }
  if (replaces) return { kind: 'replace', how: `replaces the injected drain preStop with a ${type} hook ($patch: replace)` };
  return { kind: 'merge', types: ['exec', type] };
}

/** Whether an exec hook still drains through the agent: `pilot-agent request --debug-port=<status port> POST drain`, or a POST to `/drain` on the status port. */
/** Whether a custom istio-proxy preStop still calls the agent's drain endpoint on its status port. */
export function drains(pa: PodAnalysis, hook: HookInfo): boolean {
  const words = hook.exec?.command.map((c) => c.value) ?? [];
  const text = words.join(' ');
  const port = String(pa.statusPort);
  if (/\bpilot-agent\b/.test(text) && /\brequest\b/.test(text) && /\bPOST\s+\/?drain\b/.test(text)) {
    return new RegExp(`--debug-port(=|\\s+)${port}\\b`).test(text);
  }
  return /\bPOST\b/.test(text) && new RegExp(`(localhost|127\\.0\\.0\\.1|\\[::1\\]):${port}/drain\\b`).test(text);
}

function report(ctx: RuleContext, pa: PodAnalysis, v: Verdict): void {
  const proxy = pa.proxyContainer!;
  const at = keyRange(proxy.lifecyclePair!);
  if (!at) return;
  const related: RelatedValue[] = [];
  const nativeAt = pa.native.source.kind === 'file' ? pa.native.source.range : undefined;
  if (nativeAt) related.push({ range: nativeAt, message: 'native sidecar mode' });
  const hookAt = proxy.preStop ? keyRange(proxy.preStop.pair) : undefined;
  if (hookAt) related.push({ range: hookAt, message: 'custom preStop' });
  const native = `istio-proxy runs as a native sidecar (${ctx.where(pa.native.source)})`;
  let message: string;
  if (v.kind === 'merge') {
    message =
      `${native}, so the injector gives it an exec preStop that drains Envoy; this custom lifecycle is strategic-merged over it, and its ${v.types[1]} handler lands next to that exec: ` +
      `the merged hook has two handler types and Kubernetes rejects every pod ("may not specify more than 1 handler type").`;
  } else {
    const D = pa.drain.value;
    const drain = D !== undefined ? `${formatDuration(D)} (${ctx.where(pa.drain.source)})` : 'terminationDrainDuration';
    message =
      `${native}; this custom lifecycle ${v.how}. Envoy is then not drained when termination starts: inbound requests keep arriving while the app shuts down, ` +
      `and the agent drains only after its late SIGTERM, for ${drain}.`;
  }
  const fixes: Fix[] = [];
  // With a lifecycle-level $patch directive, removing the preStop would not restore the drain hook.
  if (proxy.preStop && patchDirective(proxy.lifecycle) === undefined) {
    const rm = removeHookEdit(ctx.text, proxy, proxy.preStop.pair);
    if (rm) fixes.push({ title: "Remove the custom preStop (keep Istio's drain hook)", edits: [rm], preferred: v.kind === 'merge' });
  }
  ctx.report({ range: at, message, related, fixes });
}
