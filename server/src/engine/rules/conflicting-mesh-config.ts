/**
 * conflicting-mesh-config: two mesh configuration sources for the same revision disagree on a
 * value that shapes shutdown (drain, EXIT_ON_ZERO, native sidecars, the proxy lifecycle).
 */
import { formatDuration } from '../duration';
import { MESH_SOURCE_ORDER, meshSourcesFor } from '../model/effective';
import type { MeshSource } from '../model/mesh';
import type { Range } from '../types';
import type { Rule, RuleContext } from './rule';

interface Aspect {
  name: string;
  get(m: MeshSource): { value: string; range: Range } | undefined;
}

const ASPECTS: Aspect[] = [
  {
    name: 'terminationDrainDuration',
    get: (m) => (m.defaultConfig?.drain ? { value: formatDuration(m.defaultConfig.drain.seconds), range: m.defaultConfig.drain.field.valueNode.range } : undefined),
  },
  {
    name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS',
    get: (m) => {
      const e = m.defaultConfig?.proxyMetadata.get('EXIT_ON_ZERO_ACTIVE_CONNECTIONS');
      return e?.value !== undefined ? { value: e.value, range: e.valueRange } : undefined;
    },
  },
  { name: 'ENABLE_NATIVE_SIDECARS', get: (m) => (m.nativeSidecars ? { value: m.nativeSidecars.value, range: m.nativeSidecars.range } : undefined) },
];

export const conflictingMeshConfig: Rule = {
  id: 'conflicting-mesh-config',
  severity: 'information',
  title: 'Mesh configuration sources for one revision disagree',
  needs: 'mesh',
  docs: {
    why: `A repository often holds the same control plane twice: the IstioOperator or Helm values that generate it, and the rendered \`istio\` / \`istio-sidecar-injector\` ConfigMaps. When they disagree on a value that shapes pod shutdown (the default \`terminationDrainDuration\`, \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\`, \`ENABLE_NATIVE_SIDECARS\`), only one of them is what the cluster runs, and every pod-level check depends on which.

Drainguard uses the rendered ConfigMaps first (they are what istiod reads at run time), then IstioOperator, Sail \`Istio\`, istiod Helm values, and the \`mesh:\` section of \`.drainguard.yaml\`. The finding is reported on each disagreeing source and says which one wins.`,
    fix: 'Make the sources agree (regenerate the rendered manifests), or delete the stale one.',
    sources: ['istio-facts.md §2 (precedence of proxy-config sources), §6'],
  },
  check(ctx: RuleContext): void {
    for (const m of ctx.mesh) {
      const peers = meshSourcesFor(ctx.context, m.revision);
      for (const a of ASPECTS) {
        const mine = a.get(m);
        if (!mine) continue;
        const others = peers.filter((p) => p !== m).map((p) => ({ p, v: a.get(p) })).filter((x) => x.v && x.v.value !== mine.value);
        if (others.length === 0) continue;
        const all = peers.filter((p) => a.get(p) !== undefined);
        const winner = all[0]!;
        const other = others[0]!;
        const file = other.p.uri.replace(/^.*[\\/]/, '');
        const why = winner === m ? 'this one wins' : `${winner.label} wins`;
        ctx.report({
          range: mine.range,
          message: `${a.name} is ${mine.value} here but ${other.v!.value} in ${other.p.label} (${file}) for revision ${m.revision}: ${why}, since Drainguard reads ${MESH_SOURCE_ORDER.slice(0, 5).join(' > ')} in that order (the rendered ConfigMaps are what istiod runs).`,
          related: [{ uri: other.p.uri, range: other.v!.range, message: `${a.name}: ${other.v!.value} (${other.p.label})` }],
        });
      }
    }
  },
};
