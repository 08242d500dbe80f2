/**
 * unsupported-for-istio-version: a shutdown-related setting that the configured Istio version
 * does not know yet (so it does nothing there), or a `sidecar.istio.io/nativeSidecar` value
 * whose meaning changed between versions. Silent unless `istioVersion` is set.
 */
import { isScalar } from 'yaml';
import { compareVersion } from '../settings';
import type { Range } from '../types';
import { pairOf, rangeOf } from '../yaml/nodes';
import type { Rule, RuleContext } from './rule';

const NATIVE = 'sidecar.istio.io/nativeSidecar';

/** Agent env vars (set through proxyMetadata) and the release that first reads them. */
const AGENT_ENV: Record<string, string> = {
  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'pilot-agent reads it since Istio 1.12; before that the proxy ignores it and drains for terminationDrainDuration as usual',
  MINIMUM_DRAIN_DURATION: 'pilot-agent reads it since Istio 1.12, together with EXIT_ON_ZERO_ACTIVE_CONNECTIONS; before that it does nothing',
};

export const unsupportedForIstioVersion: Rule = {
  id: 'unsupported-for-istio-version',
  severity: 'warning',
  title: 'Shutdown setting that the configured Istio version does not support',
  needs: 'annotation',
  docs: {
    why: `Several shutdown settings are newer than the Istio releases still running in many clusters. On an older Istio they are not errors, they are simply not read, so the shutdown silently keeps the old behaviour:

- \`terminationDrainDuration\` in \`proxy.istio.io/config\` exists since **1.7**; earlier releases took the drain from the \`TERMINATION_DRAIN_DURATION_SECONDS\` env var.
- \`holdApplicationUntilProxyStarts\` in ProxyConfig (per pod) exists since **1.8**; 1.7 only had the mesh-wide \`values.global.proxy.holdApplicationUntilProxyStarts\`.
- \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` and \`MINIMUM_DRAIN_DURATION\` in \`proxyMetadata\` are read by pilot-agent since **1.12**.
- The \`sidecar.istio.io/nativeSidecar\` annotation exists since **1.24**; before that native sidecars (1.19+) are switched only mesh-wide by istiod's \`ENABLE_NATIVE_SIDECARS\`. Its value also changed meaning: in 1.24–1.26 only \`"true"\` turns native mode on, from 1.27 anything but \`"false"\` does. A value that is neither (\`"yes"\`, \`"True"\`) therefore gives a classic sidecar on one version and a native one on the next.

The rule runs only when the \`istioVersion\` setting names the target mesh's version.`,
    fix: 'Upgrade Istio, or use what the configured version offers: `TERMINATION_DRAIN_DURATION_SECONDS` before 1.7 (removed in 1.10), the mesh-wide hold setting in 1.7, `ENABLE_NATIVE_SIDECARS` on istiod in 1.19–1.23. Write `sidecar.istio.io/nativeSidecar` as exactly `"true"` or `"false"`. No quick fix: the setting may be right for the version you are moving to, and removing it is your call.',
    versions: 'terminationDrainDuration 1.7; holdApplicationUntilProxyStarts (ProxyConfig) 1.8; EXIT_ON_ZERO_ACTIVE_CONNECTIONS and MINIMUM_DRAIN_DURATION 1.12; sidecar.istio.io/nativeSidecar 1.24 ("true" only in 1.24–1.26, anything but "false" from 1.27).',
    sources: ['istio-facts.md §1.1, §3 (version table), §4 ("Per-pod annotation", "Template logic"), §5', 'istio/istio manifests/charts/istio-control/istio-discovery/files/injection-template.yaml', 'istio/istio pilot/cmd/pilot-agent/options/options.go'],
    example: `# .drainguard.yaml: istioVersion: "1.11"
proxy.istio.io/config: |
  proxyMetadata:
    EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"   # read from Istio 1.12`,
  },
  check(ctx: RuleContext): void {
    const v = ctx.settings.istioVersion;
    const before = (major: number, minor: number): boolean => (compareVersion(v, major, minor) ?? 0) < 0;
    if (compareVersion(v, 1, 0) === undefined) return;
    const report = (range: Range, message: string): void => ctx.report({ range, message });
    for (const pa of ctx.pods) {
      const pc = pa.proxyConfig;
      for (const f of pc?.fields ?? []) {
        const name = f.spec?.name;
        if (name === 'terminationDrainDuration' && before(1, 7))
          report(f.keyNode.range, `Istio ${v} has no ProxyConfig field terminationDrainDuration (added in 1.7), so this drain is not applied; that release takes the drain from the TERMINATION_DRAIN_DURATION_SECONDS env var (5 s by default).`);
        if (name === 'holdApplicationUntilProxyStarts' && before(1, 8))
          report(f.keyNode.range, `Istio ${v} does not read holdApplicationUntilProxyStarts from ProxyConfig (added in 1.8), so the app is not held until the proxy starts; 1.7 only has the mesh-wide values.global.proxy.holdApplicationUntilProxyStarts.`);
      }
      if (pc && before(1, 12)) {
        for (const [name, entry] of pc.proxyMetadata) {
          const what = AGENT_ENV[name];
          if (what) report(entry.keyRange, `${name} has no effect on Istio ${v}: ${what}.`);
        }
      }
      const native = pairOf(pa.pod.annotations, NATIVE);
      const kr = native ? rangeOf(native.key) : undefined;
      if (!native || !kr) continue;
      if (before(1, 24)) {
        const mesh = before(1, 19)
          ? 'native sidecars arrive only in Istio 1.19, so this pod gets a classic sidecar'
          : "native mode is switched mesh-wide by istiod's ENABLE_NATIVE_SIDECARS (1.19+), so the pod gets whatever that says";
        report(kr, `Istio ${v} ignores the ${NATIVE} annotation (added in 1.24): ${mesh}.`);
        continue;
      }
      const val = native.value;
      if (!isScalar(val) || typeof val.value !== 'string' || val.value === 'true' || val.value === 'false') continue;
      const vr = rangeOf(val);
      if (!vr) continue;
      const s = val.value;
      report(
        vr,
        before(1, 27)
          ? `Istio ${v} turns native sidecars on only for "true", so "${s}" gives a classic sidecar; from Istio 1.27 any value but "false" turns them on. Write "true" or "false".`
          : `Istio ${v} turns native sidecars on for any value but "false", so "${s}" means native; Istio 1.24–1.26 read it as off (only "true" counts there). Write "true" or "false".`,
      );
    }
  },
};
