/**
 * injector-values-invalid: the sidecar injector ConfigMap's `values` is not valid JSON, or its
 * `global.proxy.lifecycle` is not an object. istiod cannot load the injector configuration.
 */
import type { Rule, RuleContext } from './rule';

export const injectorValuesInvalid: Rule = {
  id: 'injector-values-invalid',
  severity: 'error',
  title: "The sidecar injector's values are not valid JSON",
  needs: 'mesh',
  docs: {
    why: `The \`istio-sidecar-injector\` ConfigMap (\`istio-sidecar-injector-<rev>\` for a revision) carries the Helm values the injection template reads, as a **JSON** string in its \`values\` key (Helm renders it with \`toPrettyJson\`). istiod parses it when it loads the injector configuration; a syntax error (a trailing comma, a single-quoted string, a comment) means the new configuration is rejected and injection keeps running on stale settings, or fails outright on a fresh install. \`global.proxy.lifecycle\` is copied verbatim onto every injected istio-proxy container and must be a Kubernetes \`Lifecycle\` object.

The finding points at the JSON error's own line and column inside the string, whatever YAML style the string is written in.`,
    fix: 'Correct the JSON at the reported position (JSON has no comments, no trailing commas, and only double-quoted strings). Make `global.proxy.lifecycle` an object such as `{"preStop": {"exec": {"command": [...]}}}`.',
    versions: 'The JSON `values` key exists since Istio 1.5.',
    sources: ['istio-facts.md §6 (Sidecar injector configuration)', 'istio/istio manifests/charts/istio-control/istio-discovery/templates/istiod-injector-configmap.yaml'],
    example: `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-sidecar-injector
data:
  values: |-
    {"global": {"proxy": {"lifecycle": {},}}}`,
  },
  check(ctx: RuleContext): void {
    for (const m of ctx.mesh) {
      const err = m.injector?.jsonError;
      if (err) ctx.report({ range: err.range, message: `${m.label}: ${err.message.replace(/\.$/, '')}. istiod cannot load this injector configuration.` });
    }
  },
};
