/**
 * non-positive-drain: `terminationDrainDuration` of zero or less. Istio accepts it (nothing
 * validates the field) and pilot-agent then kills Envoy right after SIGTERM, with no drain.
 */
import { formatDuration } from '../duration';
import { DEFAULT_DRAIN } from '../model/effective';
import type { Fix } from '../types';
import type { Rule, RuleContext } from './rule';
import { drainFix, writtenDrain } from './timing-helpers';

export const nonPositiveDrain: Rule = {
  id: 'non-positive-drain',
  severity: 'warning',
  title: 'terminationDrainDuration of zero or less: no drain at all',
  needs: 'annotation',
  docs: {
    why: `On SIGTERM pilot-agent asks Envoy to drain its inbound listeners gracefully and then waits \`terminationDrainDuration\` before it kills Envoy. With \`"0"\` or \`0s\` that wait is empty: Envoy is stopped at once, so requests in flight are cut and clients see resets and 503s, and a classic sidecar takes the app's network with it while the app is still shutting down. Istio validates \`drainDuration\` but not \`terminationDrainDuration\`, so a negative value such as \`-5s\` is accepted too; Go's \`time.After\` with a negative duration fires immediately, so it behaves exactly like 0.

The rule checks the value written in the pod's \`proxy.istio.io/config\`. It is silent for native sidecars and with \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\`, where the drain duration is not used at all (\`drain-setting-ignored\` reports that), and with \`terminationGracePeriodSeconds: 0\`, which asks for an immediate kill on purpose. (A bare \`0\` without quotes is not a duration string; \`invalid-duration\` reports it.)`,
    fix: `Set a positive drain: Istio's default \`5s\`, or less when the grace period minus the istio-proxy preStop is shorter, and at least \`1s\`. The quick fix picks that value and raises \`terminationGracePeriodSeconds\` when even 1 s would not fit. If the goal was a fast shutdown, lower the grace period or the drain to a small positive value instead of 0.`,
    versions: '`terminationDrainDuration` since Istio 1.7; no version validates its sign (istio/istio pkg/config/validation/agent/validation.go).',
    sources: [
      'istio-facts.md §1.3 (accepted values: "0", -5s), §1.4 (no validation of terminationDrainDuration), §3 (pilot-agent shutdown sequence), "Derived checks" 2',
      'istio/istio pkg/envoy/agent.go (terminate)',
    ],
    example: `proxy.istio.io/config: |
  terminationDrainDuration: 0s   # Envoy is killed right after SIGTERM`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const drain = pa.proxyConfig?.drain;
      if (!drain || drain.seconds > 0) continue;
      if (pa.native.value || pa.exitOnZero.value) continue;
      const G = pa.grace.value;
      if (G === 0) continue;
      const written = writtenDrain(pa);
      const message =
        drain.seconds < 0
          ? `terminationDrainDuration is ${written}: Istio accepts a negative drain and treats it like 0, so on SIGTERM pilot-agent kills Envoy at once, cutting requests in flight and leaving the app without its proxy while it shuts down.`
          : `terminationDrainDuration is ${written}, so there is no drain: on SIGTERM pilot-agent kills Envoy at once, cutting requests in flight and leaving the app without its proxy while it shuts down.`;
      // Istio's default when it fits; else what fits in the grace period after the proxy's preStop, at least 1s.
      const P = pa.proxyPreStop.seconds;
      const fits = G !== undefined && G > 0 ? G - P : Infinity;
      const newD = Math.max(1, Math.min(DEFAULT_DRAIN, fits));
      const fmt = formatDuration;
      const fixes: Fix[] = [];
      const title = newD === DEFAULT_DRAIN ? `Set terminationDrainDuration to ${fmt(newD)} (Istio's default)` : `Set terminationDrainDuration to ${fmt(newD)}`;
      const f = drainFix(ctx, pa, newD, title, true);
      if (f) fixes.push(f);
      ctx.report({ range: drain.field.valueNode.range, message, fixes });
    }
  },
};
