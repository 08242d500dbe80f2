/**
 * invalid-proxy-config: a `proxy.istio.io/config` annotation that Istio cannot read — not YAML,
 * not a mapping, a map or list where a string must be, or a known field of the wrong type.
 * The injection webhook validates the annotation first and denies the pod.
 * (Bad durations are invalid-duration's; scalar non-strings are annotation-not-string's.)
 */
import { isAlias, isMap, isScalar, parseDocument, visit, type Node } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import { readProxyConfigString, type ProxyConfigProblem } from '../model/proxy-config';
import type { Fix, TextEdit } from '../types';
import { lineEndOf } from '../yaml/edits';
import { contentEnd } from '../yaml/nodes';
import { resolvePlainV2 } from '../yaml/goyaml';
import { toOuterRange, type ScalarSource } from '../yaml/scalar-source';
import { parseDocumentsAround } from '../yaml/stream';
import { innerRangeOf, innerReplace } from './annotation-helpers';
import { graceEditIfNeeded } from './fixes';
import type { Rule, RuleContext } from './rule';
import { addDuplicateKeyErrors, parseOptions } from '../yaml/unique-keys';

export const invalidProxyConfig: Rule = {
  id: 'invalid-proxy-config',
  severity: 'error',
  title: 'proxy.istio.io/config that Istio cannot read (the pod is denied)',
  needs: 'annotation',
  docs: {
    why: `The injection webhook reads \`proxy.istio.io/config\` as YAML (JSON is YAML too), converts it to JSON and decodes it as a protobuf \`ProxyConfig\`, then validates it, all before it injects. When the text is not YAML, is not a mapping of fields (a list, a bare string), or a known field has the wrong type, the webhook **denies the pod**: a Deployment's ReplicaSet reports \`FailedCreate\` with \`invalid value … for annotation 'proxy.istio.io/config'\` and the rollout stalls. Type mistakes that bite at shutdown: \`proxyMetadata\` maps names to **strings**, so \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true\` (a YAML boolean) is rejected and must be \`"true"\`; \`holdApplicationUntilProxyStarts\` is a protobuf \`BoolValue\`, so \`"true"\` (a string) is rejected and must be \`true\`. The annotation value itself must be a string: a YAML mapping written directly under the key is rejected by Kubernetes before Istio sees it.

Invalid Go durations are reported by \`invalid-duration\`, and a bare \`true\`/\`30\` as the whole annotation value by \`annotation-not-string\`.`,
    fix: `Quote \`proxyMetadata\` and \`runtimeValues\` values (\`"true"\`, \`"10s"\`), write booleans unquoted, write messages (\`tracing\`, \`proxyStatsMatcher\`, …) as mappings and list fields as lists. Write the annotation as a block scalar (\`proxy.istio.io/config: |\`) or as JSON inside single quotes. Quick fixes make the obvious corrections inside the annotation, keeping its quoting style, and turn a mapping written under the key into a \`|\` block scalar (a one-line \`{…}\` into a single-quoted string).`,
    versions: 'All Istio versions with the annotation. Istio 1.7–1.13 decoded with gogo jsonpb, 1.14+ with golang/protobuf jsonpb; both reject these type errors.',
    sources: ['istio-facts.md §1.2, §1.3, §1.4, §1.5; appendix "fields of ProxyConfig"', 'istio/istio pkg/kube/inject/validate.go (validateProxyConfig)', 'istio/istio pkg/util/protomarshal/protomarshal.go (ApplyYAML)'],
    example: `proxy.istio.io/config: |
  proxyMetadata:
    EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true   # must be "true"`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const pc = pa.proxyConfig;
      if (!pc) continue;
      for (const p of pc.problems) {
        if (p.kind === 'bad-duration') continue;
        if (p.kind === 'not-string') {
          // Scalar non-strings are annotation-not-string's; an alias may well point at a string.
          const v = pc.pair.value;
          if (isScalar(v) || isAlias(v) || v === null || v === undefined) continue;
          const end = contentEnd(v);
          const range = end !== undefined && end > p.range.start && end <= p.range.end ? { start: p.range.start, end } : p.range;
          ctx.report({ range, message: p.message, fixes: blockScalarFix(ctx, pa) });
          continue;
        }
        let range = p.range;
        if (p.kind === 'not-mapping' && pc.src?.exact && pc.innerDoc) {
          // A block collection's range runs on over trailing comments and line breaks: stop at its content.
          const root = pc.innerDoc.contents as Node | null;
          const end = contentEnd(root);
          if (root?.range && end !== undefined) range = toOuterRange(pc.src, root.range[0], end);
        }
        // An error at the very end of the string (an unclosed `{`) maps to an empty range: show the whole value.
        if (range.end <= range.start && pc.src) range = pc.src.outer;
        ctx.report({ range, message: p.message + notInjectedNote(pa), fixes: suggestionFix(ctx, pa, p) });
      }
    }
  },
};

/**
 * The webhook validates the annotation only for pods it injects; for a pod that is certainly
 * not injected (opted out, host network, a disabled namespace) the denial is latent.
 */
function notInjectedNote(pa: PodAnalysis): string {
  const inj = pa.injection;
  if (inj.injected || inj.reason.startsWith('no injection evidence')) return '';
  return ` This pod is not injected today (${inj.reason}), so the webhook skips the check; the pod is denied as soon as injection applies.`;
}

/** Apply the model's suggestion for a wrong-type value inside the annotation string. */
function suggestionFix(ctx: RuleContext, pa: PodAnalysis, p: ProxyConfigProblem): Fix[] {
  const pc = pa.proxyConfig;
  if (p.kind !== 'wrong-type' || p.suggestion === undefined || !pc?.src) return [];
  const inner = innerRangeOf(pc.src, p.range);
  if (!inner) return [];
  const suggestion = (p.field?.spec?.type === 'stringMap' && stringMapSuggestion(pc, p, pc.src.value.slice(inner.start, inner.end))) || p.suggestion;
  const e = innerReplace(ctx.text, pc, inner.start, inner.end, suggestion);
  return e ? [{ title: `Change to ${suggestion}`, edits: [e], preferred: true }] : [];
}

/** proxyMetadata env vars that pilot-agent reads as Go durations. */
const DURATION_ENV = new Set(['MINIMUM_DRAIN_DURATION']);

/**
 * Quoting a proxyMetadata value as written is not always what was meant: pilot-agent reads
 * booleans with strconv.ParseBool (which knows \`true\`, not \`yes\` or \`on\`) and durations with
 * time.ParseDuration (\`10\` has no unit). An invalid env value only logs a warning and falls
 * back to the default, so quote the value the YAML 1.1 reading meant instead.
 */
function stringMapSuggestion(pc: NonNullable<PodAnalysis['proxyConfig']>, p: ProxyConfigProblem, written: string): string | undefined {
  const r = resolvePlainV2(written);
  if (r.type === 'bool') return JSON.stringify(String(r.value));
  if (r.type === 'int' || r.type === 'float') {
    for (const [name, entry] of pc.proxyMetadata) {
      if (entry.valueRange.start === p.range.start && entry.valueRange.end === p.range.end && DURATION_ENV.has(name) && r.value >= 0) return `"${r.value}s"`;
    }
  }
  return undefined;
}

/**
 * A block mapping written directly under `proxy.istio.io/config:` becomes a literal block
 * scalar by adding ` |` after the colon: its lines are already indented deeper than the key.
 * A one-line flow mapping gets single quotes. The result is re-parsed and must hold the same,
 * valid fields.
 */
function blockScalarFix(ctx: RuleContext, pa: PodAnalysis): Fix[] {
  const pc = pa.proxyConfig!;
  const v = pc.pair.value as Node | null;
  const k = pc.pair.key.range;
  if (!isMap(v) || !k || !v.range) return [];
  let edit: TextEdit;
  let title: string;
  if (v.flow) {
    // `{terminationDrainDuration: 10s}` on one line: the same text, single-quoted.
    const src = ctx.text.slice(v.range[0], v.range[1]);
    if (/[\r\n]/.test(src)) return [];
    edit = { start: v.range[0], end: v.range[1], newText: `'${src.replace(/'/g, "''")}'` };
    title = 'Quote the mapping as a string';
  } else {
    const colon = ctx.text.indexOf(':', k[1]);
    if (colon < 0 || colon >= v.range[0] || ctx.text.slice(colon + 1, lineEndOf(ctx.text, colon)).trim().replace(/^#.*/, '') !== '') return [];
    edit = { start: colon + 1, end: colon + 1, newText: ' |' };
    title = 'Write the mapping as a block scalar (proxy.istio.io/config: |)';
  }
  const next = ctx.text.slice(0, edit.start) + edit.newText + ctx.text.slice(edit.end);
  // Check the result: the annotation is now a string that holds the same, valid mapping.
  let before: string;
  try {
    before = JSON.stringify(v.toJSON());
  } catch {
    return [];
  }
  const after = stringValueAt(next, k[0]);
  if (after === undefined) return [];
  try {
    const inner = parseDocument(after, parseOptions({ prettyErrors: false, uniqueKeys: true }));
    addDuplicateKeyErrors(inner);
    if (inner.errors.length > 0 || JSON.stringify(inner.toJS({ maxAliasCount: 0 })) !== before) return [];
  } catch {
    return []; // aliases inside: not worth the risk
  }
  const fake: ScalarSource = { value: after, style: 'BLOCK_LITERAL', offsets: new Array<number>(after.length + 1).fill(0), exact: false, outer: { start: 0, end: 0 }, eol: '\n' };
  const read = readProxyConfigString(fake, { pair: pc.pair, fields: [], problems: [], proxyMetadata: new Map() });
  if (read.problems.length > 0) return [];
  // Once it is a string, a drain in the mapping takes effect: when it outlasts the grace period,
  // the grace period grows in the same fix, or the fix would trade this error for a
  // drain-exceeds-grace one (found by the fuzzer). Not on Knative, whose controller sets it.
  const g = read.drain ? graceEditIfNeeded(ctx.text, pa, read.drain.seconds, ctx.margin) : undefined;
  if (g && !g.edit) return [];
  if (g?.edit) return [{ title: `${title} and raise terminationGracePeriodSeconds to ${g.seconds}`, edits: [edit, g.edit], preferred: true }];
  return [{ title, edits: [edit], preferred: true }];
}

/** The string value of the pair whose key starts at `keyStart` in `text`, re-parsed. */
function stringValueAt(text: string, keyStart: number): string | undefined {
  let out: string | undefined;
  // Only the document around the key: a whole-file parse per fix would cost as much as the analysis.
  for (const doc of parseDocumentsAround(text, keyStart, { prettyErrors: false })) {
    if (!doc.range || doc.range[0] > keyStart || doc.range[2] < keyStart) continue;
    if (doc.errors.length > 0) return undefined;
    visit(doc, {
      Pair(_k, pair) {
        if ((pair.key as Node | null)?.range?.[0] !== keyStart) return undefined;
        if (isScalar(pair.value) && typeof pair.value.value === 'string') out = pair.value.value;
        return visit.BREAK;
      },
    });
  }
  return out;
}
