/**
 * annotation-not-string: an annotation value that kubectl's YAML reader (go-yaml v2) reads
 * as a bool, number or null. Annotations are map[string]string: the object is rejected.
 */
import { isScalar, type YAMLMap } from 'yaml';
import { resolvePlainV2 } from '../yaml/goyaml';
import { keyOf } from '../yaml/nodes';
import type { Rule, RuleContext } from './rule';
import type { Fix, TextEdit } from '../types';
import type { PodAnalysis } from '../model/effective';
import { graceEdit } from './fixes';
import { PROXY_CONFIG_ANNOTATION } from '../model/proxy-config';

/** Annotations Istio reads: `sidecar.istio.io/…`, `proxy.istio.io/…`, `istio.io/…`. */
const ISTIO_KEY = /^(?:[^/]*\.)?istio\.io\//;

export const annotationNotString: Rule = {
  id: 'annotation-not-string',
  severity: 'error',
  title: 'Annotation value is not a string',
  needs: 'kubernetes',
  docs: {
    why: `Annotation values must be strings. kubectl reads manifests with go-yaml v2 rules (YAML 1.1), so an unquoted \`true\`, \`yes\`, \`on\`, \`off\`, \`y\`, \`n\`, a number such as \`30\` or \`0777\`, or an empty value becomes a bool, number or null, and the API server (or kubectl's validation) rejects the whole object. This bites Istio users who write \`sidecar.istio.io/inject: true\` or \`sidecar.istio.io/nativeSidecar: yes\`.

The rule looks only at real object metadata (an object's \`metadata.annotations\` and a pod template's), not at maps in CRD schemas or Helm values that happen to be called \`annotations\`.`,
    fix: 'Quote the value: `"30"`. For a YAML 1.1 boolean write what kubectl read, as a string: `yes` → `"true"`, `off` → `"false"`. A second quick fix quotes the spelling as written (`"yes"`), but not on Istio\'s own annotations: Istio reads only `"true"` and `"false"` there, and `sidecar.istio.io/inject: "no"` is an invalid value that Istio ignores (with a warning), so the pod is injected wherever injection is on. When `sidecar.istio.io/nativeSidecar: "false"` turns a native pod classic, the fix also raises the grace period so that the drain fits. A `proxy.istio.io/config` of `true` or a number has no quick fix: quoted, it is still no ProxyConfig; write its fields out (`\'{"terminationDrainDuration": "20s"}\'`).',
    versions: 'All Kubernetes versions.',
    sources: ['istio-facts.md §1.5 ("Values must be strings")', 'go-yaml v2 resolve.go (YAML 1.1 booleans)'],
    example: `metadata:
  annotations:
    sidecar.istio.io/nativeSidecar: true   # must be "true"`,
  },
  check(ctx: RuleContext): void {
    const seen = new Set<YAMLMap>();
    const maps: YAMLMap[] = [];
    for (const o of ctx.objects) if (o.annotations) maps.push(o.annotations);
    for (const pa of ctx.pods) if (pa.pod.annotations) maps.push(pa.pod.annotations);
    for (const map of maps) {
      if (seen.has(map)) continue;
      seen.add(map);
      for (const pair of map.items) {
        const v = pair.value;
        const key = keyOf(pair) ?? '';
        if (v === null || v === undefined || (isScalar(v) && v.range && v.range[0] === v.range[1])) {
          // `key:` with nothing after it: null (the yaml package gives an empty scalar).
          const k = (pair.key as { range?: [number, number, number] } | null)?.range;
          if (!k) continue;
          // The value indicator follows the key on its line; a key without one (`{a}` in a flow
          // mapping, a `{{ template }}` line) has none, and a colon further on belongs to something
          // else, such as a comment line below (found by the fuzzer): then there is no fix.
          let colon = k[1];
          while (ctx.text[colon] === ' ' || ctx.text[colon] === '\t') colon++;
          ctx.report({
            range: { start: k[0], end: k[1] },
            message: `Annotation "${key}" has no value (null): annotation values must be strings, so Kubernetes rejects the object. Write "" for an empty value.`,
            fixes: ctx.text[colon] === ':' ? emptyValueFix(ctx.text, colon) : [],
          });
          continue;
        }
        if (!isScalar(v) || !v.range) continue;
        if (v.type !== 'PLAIN' && v.type !== undefined) continue;
        const source = ctx.text.slice(v.range[0], v.range[1]);
        const r = resolvePlainV2(source);
        if (r.type === 'string') continue;
        const what = r.type === 'bool' ? `the boolean ${String(r.value)}` : r.type === 'null' ? 'null' : `the number ${String(r.value)}`;
        const range = v.range[1] > v.range[0] ? { start: v.range[0], end: v.range[1] } : { start: (pair.key as { range: [number, number] }).range[0], end: (pair.key as { range: [number, number] }).range[1] };
        // A YAML 1.1 boolean (`yes`, `on`, `y`…) meant true or false: write that, as a string. Quoting
        // the spelling instead would change what Istio reads (`sidecar.istio.io/nativeSidecar: "yes"`
        // is not "true" for Istio 1.24-1.26).
        const canonical = r.type === 'bool' ? String(r.value) : source;
        const prefix = `Annotation "${key}" is ${what} to kubectl (YAML 1.1 rules), not a string: Kubernetes rejects the object.`;
        if (key === PROXY_CONFIG_ANNOTATION && r.type !== 'null') {
          // No string says what was meant: quoted, `true` or `30` is a scalar that Istio denies
          // (invalid-proxy-config; found by the fuzzer). The fields have to be written out.
          ctx.report({ range, message: `${prefix} It must hold ProxyConfig fields as YAML or JSON text, such as '{"terminationDrainDuration": "20s"}'.`, fixes: [] });
          continue;
        }
        const write: TextEdit = { start: v.range[0], end: v.range[1], newText: JSON.stringify(canonical) };
        let fixes: Fix[] = [{ title: `Write it as the string "${canonical}"`, edits: [write], preferred: true }];
        // `nativeSidecar: "false"` makes a pod that was native a classic one: its drain then has to
        // fit the grace period, raised in the same edit (found by the fuzzer, seed 4242).
        if (key === NATIVE_SIDECAR && canonical === 'false') {
          const pa = ctx.pods.find((p) => p.pod.annotations === map);
          const raise = pa ? classicGraceRaise(ctx, pa) : undefined;
          if (raise === null) fixes = [];
          else if (raise) fixes = [{ title: `Write it as the string "false" and raise terminationGracePeriodSeconds to ${raise.seconds}`, edits: [write, raise.edit], preferred: true }];
        }
        // Istio reads its own annotations' booleans as "true" and "false" only: sidecar.istio.io/inject:
        // "no" or "FALSE" is an invalid value that Istio ignores, so the opt-out becomes injection
        // (found by the fuzzer). Quoting the spelling is offered for other annotations only.
        if (canonical !== source && !ISTIO_KEY.test(key)) fixes.push({ title: `Quote it as written: "${source}"`, edits: [{ start: v.range[0], end: v.range[1], newText: JSON.stringify(source) }], preferred: false });
        ctx.report({ range, message: `${prefix} Write "${canonical}".`, fixes });
      }
    }
  },
};

/** Write `""` after a key's colon, replacing the blanks there (and keeping a trailing comment apart). */
function emptyValueFix(text: string, colon: number): Fix[] {
  let j = colon + 1;
  while (text[j] === ' ' || text[j] === '\t') j++;
  // An anchor or a tag on the empty value (`key: &a`): a "" before it would not parse, and after
  // it would change what the aliases of the anchor read. No fix (found by the fuzzer).
  if (text[j] === '&' || text[j] === '!') return [];
  return [{ title: 'Set it to ""', edits: [{ start: colon + 1, end: j, newText: text[j] === '#' ? ' "" ' : ' ""' }], preferred: true }];
}

const NATIVE_SIDECAR = 'sidecar.istio.io/nativeSidecar';

/**
 * The grace period a native pod needs once it is classic (its proxy's preStop and drain must
 * fit): undefined when none is needed, null when one is needed and cannot be written.
 */
function classicGraceRaise(ctx: RuleContext, pa: PodAnalysis): { seconds: number; edit: TextEdit } | null | undefined {
  if (!pa.injection.injected || !pa.native.value || pa.exitOnZero.value) return undefined;
  const G = pa.grace.value;
  const D = pa.drain.value;
  if (G === undefined || G <= 0 || D === undefined) return undefined;
  const P = pa.proxyPreStop.seconds;
  if (P + D <= G) return undefined;
  const seconds = Math.ceil(P + D) + ctx.margin;
  const edit = graceEdit(ctx.text, pa, seconds);
  return edit ? { seconds, edit } : null;
}
