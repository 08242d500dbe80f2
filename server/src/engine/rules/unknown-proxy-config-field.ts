/**
 * unknown-proxy-config-field: a key in `proxy.istio.io/config` that is not a ProxyConfig
 * field (a typo, a removed field, or an annotation name). Istio decodes the annotation a
 * second time with unknown fields allowed, so the key is dropped without a word and the
 * setting the user meant never applies.
 */
import { isScalar } from 'yaml';
import { parseGoDuration } from '../duration';
import type { PodAnalysis } from '../model/effective';
import { compareVersion } from '../settings';
import { closestField, fieldSpec, problemsUnderKey, readProxyConfigString, type ParsedProxyConfig, type ProxyConfigField } from '../model/proxy-config';
import type { Fix, RelatedValue, TextEdit } from '../types';
import { pairOf, rangeOf } from '../yaml/nodes';
import { innerEdit, type ScalarSource } from '../yaml/scalar-source';
import { innerReplace, isPodIstioAnnotation, removeEntry, removeInnerField } from './annotation-helpers';
import { graceEditIfNeeded, podAnnotationEdit } from './fixes';
import type { Rule, RuleContext } from './rule';
import { isJsonMap } from '../yaml/edits';

/** MeshConfig fields that people put into a pod's ProxyConfig (istio/api mesh/v1alpha1/config.proto). */
const MESH_CONFIG_FIELDS = new Set([
  'protocolDetectionTimeout',
  'accessLogFile',
  'accessLogEncoding',
  'accessLogFormat',
  'enableTracing',
  'enableAutoMtls',
  'outboundTrafficPolicy',
  'inboundTrafficPolicy',
  'localityLbSetting',
  'dnsRefreshRate',
  'h2UpgradePolicy',
  'trustDomain',
  'rootNamespace',
  'enablePrometheusMerge',
  'defaultProviders',
  'extensionProviders',
  'discoverySelectors',
  'tcpKeepalive',
  'ingressClass',
  'ingressService',
]);

export const unknownProxyConfigField: Rule = {
  id: 'unknown-proxy-config-field',
  severity: 'warning',
  title: 'Key in proxy.istio.io/config that Istio silently ignores',
  needs: 'annotation',
  docs: {
    why: `Istio decodes \`proxy.istio.io/config\` into \`ProxyConfig\` in two passes: a strict one, and when that fails for any reason, one that **allows unknown fields**. A key that is not a ProxyConfig field is therefore dropped without an error or a log line, and the setting it was meant to carry never applies: \`terminationDrainDurations: 60s\` (one letter too many) leaves the drain at the 5 s default, and the grace period you sized for a 60 s drain is never used. Removed fields are ignored the same way: \`parentShutdownDuration\` was removed in Istio 1.17 (Envoy runs with hot restart disabled), and \`connectTimeout\` was removed from ProxyConfig long before (the mesh-wide \`MeshConfig.connectTimeout\` took its place).

MeshConfig fields (\`protocolDetectionTimeout\`, \`accessLogFile\`, \`outboundTrafficPolicy\`, …) and MeshConfig's \`defaultConfig\` wrapper are not ProxyConfig fields either: they only work mesh-wide. A common variant puts a pod **annotation** inside the ProxyConfig, e.g. \`'{"readiness.status.sidecar.istio.io/periodSeconds": "600"}'\`: the readiness probe keeps its default, because that setting is read only from its own pod annotation. Keys are checked at the top level; both camelCase and snake_case field names are accepted, as in Istio.`,
    fix: `Rename the key to the ProxyConfig field you meant (the quick fix offers the closest one, keeping the key's quoting, and fixes the value too when the field needs another form, e.g. \`60\` → \`60s\`); remove a removed field; move an annotation name out of the ProxyConfig into an annotation of its own on the pod template.`,
    versions: '`parentShutdownDuration` removed in Istio 1.17 (istio/api #2605); with `istioVersion` set below 1.17 it is not reported. The lenient second decoding pass exists in every version with the annotation.',
    sources: [
      'istio-facts.md §1.2 (strict, then AllowUnknownFields), §1.3 ("terminationDrainDurations: 60s (typo): silently ignored"), §1.6, appendix "fields of ProxyConfig"',
      'istio/api mesh/v1alpha1/proxy.proto (reserved 5, 9)',
      'istio/istio pkg/util/protomarshal/protomarshal.go (ApplyYAML)',
    ],
    example: `proxy.istio.io/config: |
  terminationDrainDurations: 60s   # ignored: did you mean terminationDrainDuration?`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const pc = pa.proxyConfig;
      if (!pc) continue;
      for (const f of pc.fields) {
        if (f.spec && f.spec.type !== 'removed') continue;
        // Up to Istio 1.16 parentShutdownDuration was still a field (validated against drainDuration).
        if (f.spec?.name === 'parentShutdownDuration' && (compareVersion(ctx.settings.istioVersion, 1, 17) ?? 0) < 0) continue;
        report(ctx, pa, pc, f);
      }
    }
    // The same keys in a mesh-wide meshConfig.defaultConfig.
    for (const m of ctx.mesh) {
      const pc = m.defaultConfig;
      if (!pc) continue;
      for (const f of pc.fields) {
        if (f.spec && f.spec.type !== 'removed') continue;
        const target = f.spec ? undefined : closestField(f.key);
        // No rename onto a key the mapping already has: that would be a duplicate key (found by the fuzzer).
        const fixes = target && !pc.fields.some((x) => x.key === target) ? meshRenameFix(ctx, pc, f, target) : [];
        ctx.report({
          range: f.keyNode.range,
          message: `${m.label}: \`${f.key}\` is not a ProxyConfig field${f.spec ? ' any more' : ''}: Istio ignores it in meshConfig.defaultConfig, so it has no effect on any proxy${target ? `. Did you mean \`${target}\`?` : '.'}`,
          fixes,
        });
      }
    }
  },
};

/**
 * Rename a `meshConfig.defaultConfig` key (keeping its quotes). A value the target field would
 * reject is changed with it when the correction is obvious (`45` → `45s`); otherwise no rename is
 * offered: it would turn an ignored key into an invalid mesh config (found by the fuzzer:
 * `terminationDrainDuratio: 1e400s` renamed into an invalid-duration error).
 */
function meshRenameFix(ctx: RuleContext, pc: ParsedProxyConfig, f: ProxyConfigField, target: string): Fix[] {
  const edit = (inner: { start: number; end: number }, range: { start: number; end: number }, newText: string): TextEdit | undefined =>
    pc.src ? innerEdit(ctx.text, pc.src, inner.start, inner.end, newText) : { start: range.start, end: range.end, newText };
  const quotedAs = (n: unknown, s: string): string => {
    if (!isScalar(n)) return s;
    return n.type === 'QUOTE_SINGLE' ? `'${s}'` : n.type === 'QUOTE_DOUBLE' ? `"${s}"` : s;
  };
  const k = f.keyNode;
  const keyEdit = edit(k.inner, k.range, quotedAs(k.node, target));
  if (!keyEdit || breaksLines(ctx.text, f, keyEdit)) return [];
  const problems = problemsUnderKey(pc, f, target, pc.src ? pc.src.value : ctx.text);
  if (problems.length === 0) return [{ title: `Rename to ${target}`, edits: [keyEdit], preferred: true }];
  const p = problems[0]!;
  if (problems.length > 1 || p.suggestion === undefined || suggestsAnItem(target)) return [];
  const v = f.valueNode;
  const newValue = p.kind === 'bad-duration' ? quotedAs(v.node, p.suggestion) : p.suggestion;
  const valueEdit = edit(v.inner, v.range, newValue);
  if (!valueEdit || (valueEdit.start < keyEdit.end && keyEdit.start < valueEdit.end)) return [];
  return [{ title: `Rename to ${target} and change the value to ${newValue}`, edits: [keyEdit, valueEdit], preferred: true }];
}

/**
 * Whether renaming this key would remove a line break: a key whose text holds a lone CR (or a
 * NEL, LS or PS) that the YAML library reads as part of the key, where go-yaml (Istio) and a line
 * reader see a line break before it. Dropping it moves the key onto the line before, at that
 * line's indentation, which is another place in the document (found by the fuzzer:
 * `    \rproxyMetadata:` renamed into a key indented 4 in a document indented by 3). No rename then.
 */
function breaksLines(text: string, f: ProxyConfigField, e: TextEdit): boolean {
  const br = /[\r\n\u0085\u2028\u2029]/;
  return br.test(f.key) || br.test(text.slice(e.start, e.end));
}

/**
 * Whether a problem of this field is about one of its items (a list or map entry), so its
 * suggestion replaces that item, not the whole value (found by the fuzzer: `proxyMetadata`'s
 * `{"X": true}` became `"true"`).
 */
function suggestsAnItem(key: string): boolean {
  const t = fieldSpec(key)?.type;
  return t === 'stringMap' || t === 'repeatedString';
}

function report(ctx: RuleContext, pa: PodAnalysis, pc: ParsedProxyConfig, f: ProxyConfigField): void {
  const range = f.keyNode.range;
  const key = f.key;
  if (f.spec?.type === 'removed') {
    const when =
      f.spec.name === 'parentShutdownDuration'
        ? 'was removed from ProxyConfig in Istio 1.17 (Envoy runs with hot restart disabled)'
        : 'was removed from ProxyConfig long ago (the mesh-wide MeshConfig.connectTimeout replaced it)';
    const e = removeInnerField(ctx.text, pc, f);
    ctx.report({
      range,
      message: `\`${key}\` ${when}; Istio now ignores it like any unknown key, so it has no effect.`,
      fixes: e ? [{ title: `Remove ${key}`, edits: [e], preferred: true }] : [],
    });
    return;
  }
  if (key.includes('/') || key.includes('.istio.io')) {
    ctx.report({
      range,
      message: `"${key}" is a pod annotation, not a ProxyConfig field: inside proxy.istio.io/config Istio ignores it, so the setting has no effect. Write it as an annotation of its own on the pod.`,
      fixes: moveOutFixes(ctx, pa, pc, f),
    });
    return;
  }
  if (key === 'defaultConfig' || key === 'default_config') {
    ctx.report({
      range,
      message: `\`${key}\` is the MeshConfig key that holds the mesh-wide ProxyConfig; inside proxy.istio.io/config Istio ignores it and everything under it. Write the fields it holds at the top level of the annotation.`,
    });
    return;
  }
  if (MESH_CONFIG_FIELDS.has(key)) {
    ctx.report({
      range,
      message: `\`${key}\` is a MeshConfig field, not a ProxyConfig field: it can only be set mesh-wide (meshConfig.${key}), and inside proxy.istio.io/config Istio ignores it.`,
    });
    return;
  }
  const best = closestField(key);
  const target = best && /_/.test(key) && !/[A-Z]/.test(key) ? best.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()) : best;
  if (!target) {
    ctx.report({ range, message: `\`${key}\` is not a ProxyConfig field: Istio ignores unknown keys in proxy.istio.io/config silently, so this setting has no effect.` });
    return;
  }
  const already = pc.fields.find((g) => g !== f && g.spec?.name === best);
  if (already) {
    const related: RelatedValue[] = [{ range: already.keyNode.range, message: `${already.key}, which is the one in effect` }];
    const e = removeInnerField(ctx.text, pc, f);
    ctx.report({
      range,
      message: `\`${key}\` is not a ProxyConfig field (Istio ignores it silently); the annotation already sets \`${already.key}\`, which is the one in effect.`,
      related,
      fixes: e ? [{ title: `Remove ${key}`, edits: [e], preferred: true }] : [],
    });
    return;
  }
  ctx.report({
    range,
    message: `\`${key}\` is not a ProxyConfig field: Istio ignores unknown keys in proxy.istio.io/config silently, so this setting has no effect. Did you mean \`${target}\`?`,
    fixes: renameFix(ctx, pa, pc, f, target),
  });
}

/** Rename the key (keeping its quotes), and fix the value when the field needs another form. */
function renameFix(ctx: RuleContext, pa: PodAnalysis, pc: ParsedProxyConfig, f: ProxyConfigField, target: string): Fix[] {
  const src = pc.src;
  const kn = f.keyNode.node;
  if (!src || !isScalar(kn)) return [];
  const newKey = kn.type === 'QUOTE_DOUBLE' ? `"${target}"` : kn.type === 'QUOTE_SINGLE' ? `'${target}'` : target;
  const keyEdit = innerReplace(ctx.text, pc, f.keyNode.inner.start, f.keyNode.inner.end, newKey);
  if (!keyEdit || breaksLines(ctx.text, f, keyEdit)) return [];
  // Read the renamed config as Istio would, to see whether the value suits the field.
  const renamed = src.value.slice(0, f.keyNode.inner.start) + newKey + src.value.slice(f.keyNode.inner.end);
  const fake: ScalarSource = { value: renamed, style: src.style, offsets: new Array<number>(renamed.length + 1).fill(0), exact: false, outer: src.outer, eol: src.eol };
  const read = readProxyConfigString(fake, { pair: pc.pair, fields: [], problems: [], proxyMetadata: new Map() });
  const problems = read.problems.filter((p) => p.field?.key === target);
  if (read.problems.some((p) => p.kind === 'not-yaml' || p.kind === 'not-mapping')) return [];
  const edits: TextEdit[] = [keyEdit];
  let title = `Rename to ${target}`;
  let newValue: string | undefined;
  if (problems.length > 1) return [];
  const p = problems[0];
  if (p) {
    if (p.suggestion === undefined || suggestsAnItem(target)) return [];
    const vn = f.valueNode.node;
    const quoted = isScalar(vn) && (vn.type === 'QUOTE_DOUBLE' || vn.type === 'QUOTE_SINGLE');
    const text = p.kind === 'bad-duration' ? (quoted ? (vn.type === 'QUOTE_SINGLE' ? `'${p.suggestion}'` : `"${p.suggestion}"`) : p.suggestion) : p.suggestion;
    const valueEdit = innerReplace(ctx.text, pc, f.valueNode.inner.start, f.valueNode.inner.end, text);
    if (!valueEdit) return [];
    edits.push(valueEdit);
    title += ` and change the value to ${text}`;
    newValue = p.suggestion;
  }
  // A drain that starts to count may no longer fit in the grace period.
  if (fieldSpec(target)?.name === 'terminationDrainDuration') {
    const s = newValue ?? (f.valueNode.scalar?.type === 'string' ? f.valueNode.scalar.value : undefined);
    const d = s !== undefined ? parseGoDuration(s) : undefined;
    const grace = d?.ok ? graceEditIfNeeded(ctx.text, pa, d.seconds, ctx.margin) : undefined;
    if (grace && !grace.edit) return [];
    if (grace?.edit) {
      edits.push(grace.edit);
      title += ` and raise terminationGracePeriodSeconds to ${grace.seconds}`;
    }
  }
  return [{ title, edits, preferred: true }];
}

/**
 * Move an annotation name out of the ProxyConfig into a pod annotation of its own. When it is
 * the ProxyConfig's only key, the whole `proxy.istio.io/config` pair is replaced by the new
 * annotation; otherwise the key is removed from the ProxyConfig and the annotation added.
 */
function moveOutFixes(ctx: RuleContext, pa: PodAnalysis, pc: ParsedProxyConfig, f: ProxyConfigField): Fix[] {
  const key = f.key;
  if (!isPodIstioAnnotation(key) || !/^[A-Za-z0-9./_-]+$/.test(key)) return [];
  const s = f.valueNode.scalar;
  if (!s || s.type === 'null') return [];
  const value = JSON.stringify(String(s.value));
  const annMap = pa.pod.annotations;
  const existing = pairOf(annMap, key);
  const only = pc.fields.length === 1;
  if (only && annMap) {
    if (existing) {
      const rm = removeEntry(ctx.text, annMap, pc.pair, pa.pod.annotationsPair);
      return rm ? [{ title: `Remove proxy.istio.io/config (it holds only ${key}, which the pod already sets)`, edits: rm, preferred: true }] : [];
    }
    const k = rangeOf(pc.pair.key);
    const v = rangeOf(pc.pair.value);
    if (!k || !v) return [];
    const k2 = isJsonMap(ctx.text, annMap) ? JSON.stringify(key) : key; // a JSON manifest stays JSON
    return [{ title: `Replace proxy.istio.io/config with the annotation ${key}: ${value}`, edits: [{ start: k.start, end: v.end, newText: `${k2}: ${value}` }], preferred: true }];
  }
  const rm = removeInnerField(ctx.text, pc, f);
  if (!rm) return [];
  if (existing) return [{ title: `Remove it from proxy.istio.io/config (the pod already sets ${key})`, edits: [rm], preferred: true }];
  const add = podAnnotationEdit(ctx.text, pa, key, value);
  if (!add || (add.start < rm.end && rm.start < add.end)) return [];
  return [{ title: `Move it to the pod annotation ${key}: ${value}`, edits: [rm, add], preferred: true }];
}
