/**
 * Fix builders shared by the timing rules: raise the grace period, set the drain inside
 * `proxy.istio.io/config` (merging into whatever form the annotation is written in), turn on
 * native sidecars. Each returns minimal text edits, or undefined when no safe edit exists.
 */
import { isMap, isScalar, type Node, type Scalar } from 'yaml';
import { formatDuration, parseGoDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import { PROXY_CONFIG_ANNOTATION, type ProxyConfigField } from '../model/proxy-config';
import type { TextEdit } from '../types';
import { indentStep, insertPair, replaceValue, setPath } from '../yaml/edits';
import { pairOf } from '../yaml/nodes';
import { innerEdit } from '../yaml/scalar-source';

/** The edit that sets `terminationGracePeriodSeconds` to `seconds` (insert or update). */
export function graceEdit(text: string, pa: PodAnalysis, seconds: number): TextEdit | undefined {
  // Knative sets the grace period from the revision's timeoutSeconds and rejects the field.
  if (pa.pod.knative) return undefined;
  // Past 2^53 a number is no longer written exactly (9223372036854775808 prints as ...776000),
  // and Kubernetes takes an int64: no edit (found by the fuzzer, seed 4242).
  if (!Number.isSafeInteger(Math.ceil(seconds))) return undefined;
  const n = String(Math.ceil(seconds));
  const node = pa.grace.node;
  if (node?.range) return { start: node.range[0], end: node.range[1], newText: n };
  return setPath(text, pa.pod.doc, pa.pod.spec, ['terminationGracePeriodSeconds'], n);
}

/** The edit that sets one ProxyConfig field in the pod's annotation (creating the annotation if needed). `yamlValue` is the plain YAML form (`50s`); `jsonValue` the JSON form (`"50s"`). */
export function proxyConfigFieldEdit(text: string, pa: PodAnalysis, key: string, yamlValue: string, jsonValue: string, target?: ProxyConfigField): TextEdit | undefined {
  const pc = pa.proxyConfig;
  if (!pc) {
    const step = indentStep(text, pa.pod.metadataPair, pa.pod.metadata);
    return (
      setPath(text, pa.pod.doc, pa.pod.template, ['metadata', 'annotations', PROXY_CONFIG_ANNOTATION], '|', [`${key}: ${yamlValue}`], step) ??
      setPath(text, pa.pod.doc, pa.pod.template, ['metadata', 'annotations', PROXY_CONFIG_ANNOTATION], `'{"${key}": ${jsonValue}}'`, undefined, step)
    );
  }
  const src = pc.src;
  if (!src || !src.exact || pc.problems.some((p) => p.kind === 'not-yaml' || p.kind === 'not-mapping' || p.kind === 'not-string')) return undefined;
  // The field may be written in snake_case (`termination_drain_duration`): edit it in place. A key
  // written twice: the last one is the one Istio reads (found by the fuzzer), unless the caller
  // names the occurrence (a finding on that value).
  const field = target ?? [...pc.fields].reverse().find((f) => f.key === key || f.spec?.name === key);
  if (field) {
    const n = field.valueNode.node;
    const quoted = isScalar(n) && (n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE');
    const newInner = quoted ? ((n as Scalar).type === 'QUOTE_SINGLE' ? `'${yamlValue}'` : jsonValue) : yamlValue;
    const e = innerEdit(text, src, field.valueNode.inner.start, field.valueNode.inner.end, newInner);
    return e && { start: e.start, end: e.end, newText: e.newText };
  }
  const root = pc.root;
  if (!root) {
    // Empty annotation: write the whole value (an empty block scalar keeps its line break: found by the fuzzer).
    if (src.value.trim() !== '') return undefined;
    // A double-quoted value (a JSON manifest writes every string so) stays double-quoted: JSON stays JSON.
    const v = pc.pair.value;
    const inJson = isScalar(v) && v.type === 'QUOTE_DOUBLE';
    return replaceValue(text, v, inJson ? JSON.stringify(`{"${key}": ${jsonValue}}`) : `'{"${key}": ${jsonValue}}'`);
  }
  if (root.flow) {
    const r = root.range;
    if (!r) return undefined;
    const open = src.value.indexOf('{', r[0]);
    if (open < 0) return undefined;
    const firstKey = root.items[0]?.key as Node | undefined;
    const jsonKeys = isScalar(firstKey) ? firstKey.type === 'QUOTE_DOUBLE' : true;
    const entry = jsonKeys ? `"${key}": ${jsonValue}` : `${key}: ${yamlValue}`;
    const sep = root.items.length > 0 ? ', ' : '';
    const e = innerEdit(text, src, open + 1, open + 1, entry + sep);
    return e && { start: e.start, end: e.end, newText: e.newText };
  }
  const first = root.items[0]?.key as Node | undefined;
  const at = first?.range?.[0];
  if (at === undefined) return undefined;
  let ls = at;
  while (ls > 0 && src.value[ls - 1] !== '\n') ls--;
  const e = innerEdit(text, src, at, at, `${key}: ${yamlValue}\n${' '.repeat(at - ls)}`);
  return e && { start: e.start, end: e.end, newText: e.newText };
}

/**
 * `seconds` as a drain Istio accepts (`45s`), or undefined when Go's time.ParseDuration would
 * reject it: past int64 nanoseconds (about 2562047h), as a grace period of 1e20 seconds asks for
 * (found by the fuzzer). A fix must not write an invalid-duration error.
 */
export function drainValue(seconds: number): string | undefined {
  const d = formatDuration(seconds);
  return parseGoDuration(d).ok ? d : undefined;
}

/** Set `terminationDrainDuration` to `seconds` (undefined when that is no Go duration). */
export function drainEdit(text: string, pa: PodAnalysis, seconds: number): TextEdit | undefined {
  const d = drainValue(seconds);
  return d === undefined ? undefined : proxyConfigFieldEdit(text, pa, 'terminationDrainDuration', d, `"${d}"`);
}

/** Add (or set) an annotation on the pod template. `value` is a quoted YAML string. */
export function podAnnotationEdit(text: string, pa: PodAnalysis, key: string, value: string): TextEdit | undefined {
  // An existing key is set in place, whatever its value (an alias, `{}`, a block scalar): a
  // second one would be a duplicate key (found by the fuzzer). A block mapping is left alone.
  const existing = pairOf(pa.pod.annotations, key);
  if (existing) return replaceValue(text, existing.value, value);
  if (pa.pod.annotations && isMap(pa.pod.annotations) && pa.pod.annotations.items.length > 0) return insertPair(text, pa.pod.annotations, key, value);
  const step = indentStep(text, pa.pod.metadataPair, pa.pod.metadata);
  return setPath(text, pa.pod.doc, pa.pod.template, ['metadata', 'annotations', key], value, undefined, step);
}

/** Add (or set) a label on the pod template. */
export function podLabelEdit(text: string, pa: PodAnalysis, key: string, value: string): TextEdit | undefined {
  const existing = pairOf(pa.pod.labels, key);
  if (existing) return replaceValue(text, existing.value, value);
  if (pa.pod.labels && pa.pod.labels.items.length > 0) return insertPair(text, pa.pod.labels, key, value);
  const step = indentStep(text, pa.pod.metadataPair, pa.pod.metadata);
  return setPath(text, pa.pod.doc, pa.pod.template, ['metadata', 'labels', key], value, undefined, step);
}

/** The fix that turns on native sidecars for this pod. */
export function nativeSidecarEdit(text: string, pa: PodAnalysis): TextEdit | undefined {
  return podAnnotationEdit(text, pa, 'sidecar.istio.io/nativeSidecar', '"true"');
}

/**
 * When a fix sets the drain to `drainSeconds`, the grace period may have to grow with it so
 * the fix does not create a drain-exceeds-grace error. Returns the new grace period and its
 * edit, or undefined when the grace period already fits (or the rule would not apply). `edit`
 * is undefined when the grace period must grow but cannot be edited (Knative, whose
 * controller sets it; a value written as a mapping with comments): the caller then offers no
 * fix, which would trade its finding for a drain-exceeds-grace error.
 */
export function graceEditIfNeeded(text: string, pa: PodAnalysis, drainSeconds: number, margin: number): { edit: TextEdit | undefined; seconds: number } | undefined {
  if (!pa.injection.injected || pa.native.value || pa.exitOnZero.value) return undefined;
  const G = pa.grace.value;
  if (G === undefined || G <= 0) return undefined;
  const P = pa.proxyPreStop.seconds;
  if (P + drainSeconds <= G) return undefined;
  const seconds = Math.ceil(P + drainSeconds) + margin;
  return { edit: graceEdit(text, pa, seconds), seconds };
}

/** Combine edits into one list, dropping undefined; undefined if any required edit is missing. */
export function edits(...es: (TextEdit | undefined)[]): TextEdit[] | undefined {
  if (es.some((e) => e === undefined)) return undefined;
  return es as TextEdit[];
}
