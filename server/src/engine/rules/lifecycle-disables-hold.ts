/**
 * lifecycle-disables-hold: a mesh-wide `global.proxy.lifecycle` replaces the postStart hook
 * that holdApplicationUntilProxyStarts relies on, so the hold silently stops working.
 */
import type { MeshSource } from '../model/mesh';
import type { Rule, RuleContext } from './rule';

function holdOn(m: MeshSource): boolean {
  return m.defaultConfig?.holdApplicationUntilProxyStarts === true || m.holdValues?.value === true;
}

export const lifecycleDisablesHold: Rule = {
  id: 'lifecycle-disables-hold',
  severity: 'warning',
  title: 'A custom proxy lifecycle silently disables holdApplicationUntilProxyStarts',
  needs: 'mesh',
  docs: {
    why: `\`holdApplicationUntilProxyStarts\` works by giving the injected istio-proxy a \`postStart\` hook (\`pilot-agent wait\`), so the app containers start only once the proxy is ready. The injection template sets the proxy's \`lifecycle\` from an if/else chain: when \`global.proxy.lifecycle\` is set, it is copied verbatim and the hold's postStart is never added. Setting a preStop for graceful shutdown therefore silently turns the startup hold off, and apps race their proxy at startup again (connection refused until Envoy is ready).

The rule applies to classic sidecars; native sidecars start before the app by design and ignore the hold.`,
    fix: 'Put the hold\'s postStart into your lifecycle yourself: `postStart: {exec: {command: ["pilot-agent", "wait"]}}` next to your `preStop`; or move to native sidecars, which need neither.',
    versions: 'The lifecycle block exists since Istio 1.5; holdApplicationUntilProxyStarts since 1.7 (values) and 1.8 (ProxyConfig).',
    sources: ['istio-facts.md §5, §6 (injector lifecycle logic)', 'istio/istio injection-template.yaml (lifecycle if/else chain)'],
    example: `spec:
  meshConfig:
    defaultConfig:
      holdApplicationUntilProxyStarts: true
  values:
    global:
      proxy:
        lifecycle:        # replaces the hold's postStart
          preStop: ...`,
  },
  check(ctx: RuleContext): void {
    for (const m of ctx.mesh) {
      const lc = m.lifecycle;
      if (!lc || lc.hasPostStart || !holdOn(m)) continue;
      if (m.nativeSidecars?.value.toLowerCase() === 'true' || ctx.settings.nativeSidecars === 'on') continue;
      // The hold may live in another source of the same revision too; this source's own hold is enough evidence.
      ctx.report({
        range: lc.range,
        message: `${m.label} sets global.proxy.lifecycle, which replaces the postStart hook of holdApplicationUntilProxyStarts (on in this configuration): apps are no longer held until the proxy is ready. Add postStart: {exec: {command: [pilot-agent, wait]}} to this lifecycle.`,
      });
    }
  },
};
