/**
 * invalid-duration: a Duration field in `proxy.istio.io/config` that Istio rejects. The
 * injection webhook denies the pod, so a Deployment's rollout stalls on FailedCreate.
 */
import { isScalar, type Scalar } from 'yaml';
import { parseGoDuration } from '../duration';
import type { ParsedProxyConfig, ProxyConfigField } from '../model/proxy-config';
import type { TextEdit } from '../types';
import { innerEdit } from '../yaml/scalar-source';
import { graceEditIfNeeded, proxyConfigFieldEdit } from './fixes';
import type { Rule, RuleContext } from './rule';

export const invalidDuration: Rule = {
  id: 'invalid-duration',
  severity: 'error',
  title: 'Duration that Istio rejects',
  needs: 'annotation',
  // Also checks meshConfig.defaultConfig in IstioOperator, Sail, Helm values and the mesh ConfigMap.
  docs: {
    why: `Istio reads \`proxy.istio.io/config\` as YAML, converts it to JSON and decodes it as protobuf JSON, where a \`google.protobuf.Duration\` is a string in Go's \`time.ParseDuration\` syntax: \`20s\`, \`1m30s\`, \`500ms\`, \`1.5s\`. A bare number (\`20\`), a quoted number (\`"20"\`), a day unit (\`1d\`) or an upper-case unit (\`20S\`) fails to decode. The sidecar injector validates the annotation before it injects and **denies the pod**: a Deployment's ReplicaSet reports \`FailedCreate\` and the rollout stalls. \`drainDuration\` must also be a whole number of seconds (at least 1ms), per Istio's validation; \`terminationDrainDuration\` has no such check.`,
    fix: 'Write the value as a Go duration string with a unit: `20` → `20s`, `"60"` → `60s`.',
    versions: 'Go duration syntax since Istio 1.7 (gogo jsonpb) and 1.14+ (golang/protobuf jsonpb).',
    sources: ['istio-facts.md §1.2, §1.3, §1.4', 'istio/istio pkg/util/protomarshal/protomarshal.go (ApplyYAML)', 'istio/istio pkg/config/validation/agent/validation.go'],
    example: `proxy.istio.io/config: |
  terminationDrainDuration: 20   # must be 20s`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const pc = pa.proxyConfig;
      if (!pc) continue;
      for (const p of pc.problems) {
        if (p.kind !== 'bad-duration' || !p.field) continue;
        const fixes = [];
        if (p.suggestion) {
          const e = proxyConfigFieldEdit(ctx.text, pa, p.field.key, p.suggestion, `"${p.suggestion}"`, p.field);
          const isDrain = p.field === pa.proxyConfig?.drainField;
          const d = parseGoDuration(p.suggestion);
          const grace = isDrain && d.ok ? graceEditIfNeeded(ctx.text, pa, d.seconds, ctx.margin) : undefined;
          // No fix when the grace period would have to grow and cannot be edited.
          if (e && grace?.edit) fixes.push({ title: `Change to ${p.suggestion} and raise terminationGracePeriodSeconds to ${grace.seconds}`, edits: [e, grace.edit], preferred: true });
          else if (e && !grace) fixes.push({ title: `Change to ${p.suggestion}`, edits: [e], preferred: true });
        }
        ctx.report({ range: p.range, message: p.message, fixes });
      }
    }
    // The same fields in a mesh-wide `meshConfig.defaultConfig`.
    for (const m of ctx.mesh) {
      const pc = m.defaultConfig;
      if (!pc) continue;
      for (const p of pc.problems) {
        if (p.kind !== 'bad-duration' || !p.field) continue;
        const fixes = [];
        const e = p.suggestion ? meshFieldEdit(ctx.text, pc, p.field, p.suggestion) : undefined;
        if (e) fixes.push({ title: `Change to ${p.suggestion}`, edits: [e], preferred: true });
        ctx.report({ range: p.range, message: `${m.label}: ${p.message}`, fixes });
      }
    }
  },
};

/** Replace a field's value in a mesh defaultConfig (YAML in the manifest, or inside the mesh ConfigMap's string). */
function meshFieldEdit(text: string, pc: ParsedProxyConfig, field: ProxyConfigField, value: string): TextEdit | undefined {
  const n = field.valueNode;
  const quoted = isScalar(n.node) && (n.node.type === 'QUOTE_DOUBLE' || n.node.type === 'QUOTE_SINGLE');
  const newInner = quoted ? ((n.node as Scalar).type === 'QUOTE_SINGLE' ? `'${value}'` : `"${value}"`) : value;
  if (pc.src) return innerEdit(text, pc.src, n.inner.start, n.inner.end, newInner);
  return { start: n.range.start, end: n.range.end, newText: newInner };
}
