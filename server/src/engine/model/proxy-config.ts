/**
 * Reads the `proxy.istio.io/config` annotation exactly as Istio does: the annotation string
 * is YAML, read with go-yaml v2 scalar rules (sigs.k8s.io/yaml), then decoded as protobuf
 * JSON (golang/protobuf jsonpb) into `ProxyConfig`: Durations are Go duration strings,
 * `proxyMetadata` values must be strings, unknown keys are ignored silently. Every inner
 * node is mapped back to its exact range in the file. The same reader serves any
 * ProxyConfig written as YAML inside a string (the mesh ConfigMap's `defaultConfig`).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { parseGoDuration } from '../duration';
import type { Range } from '../types';
import { resolvePlainV2, type GoYamlScalar } from '../yaml/goyaml';
import { keyOf, type KeyedPair } from '../yaml/nodes';
import { scalarSource, toOuterRange, type ScalarSource } from '../yaml/scalar-source';
import { parseDocumentWithinLimit } from '../yaml/depth';

export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';

export type FieldType =
  | 'string'
  | 'duration'
  | 'int'
  | 'intWrapper'
  | 'boolWrapper'
  | 'stringMap'
  | 'enum'
  | 'message'
  | 'repeatedString'
  | 'removed';

export interface FieldSpec {
  /** The JSON (camelCase) name. */
  name: string;
  type: FieldType;
  /** Extra validation: `drainDuration` must be whole seconds. */
  wholeSeconds?: boolean;
}

/** The fields of istio.mesh.v1alpha1.ProxyConfig (istio/api mesh/v1alpha1/proxy.proto). */
export const PROXY_CONFIG_FIELDS: readonly FieldSpec[] = [
  ...['configPath', 'binaryPath', 'serviceCluster', 'discoveryAddress', 'zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress', 'availabilityZone', 'customConfigFile', 'proxyBootstrapTemplatePath', 'meshId'].map(
    (name): FieldSpec => ({ name, type: 'string' }),
  ),
  { name: 'drainDuration', type: 'duration', wholeSeconds: true },
  { name: 'terminationDrainDuration', type: 'duration' },
  { name: 'discoveryRefreshDelay', type: 'duration' },
  { name: 'fileFlushInterval', type: 'duration' },
  { name: 'proxyAdminPort', type: 'int' },
  { name: 'statNameLength', type: 'int' },
  { name: 'statusPort', type: 'int' },
  { name: 'fileFlushMinSizeKb', type: 'int' },
  { name: 'concurrency', type: 'intWrapper' },
  { name: 'holdApplicationUntilProxyStarts', type: 'boolWrapper' },
  { name: 'statsCompression', type: 'boolWrapper' },
  { name: 'proxyMetadata', type: 'stringMap' },
  { name: 'runtimeValues', type: 'stringMap' },
  { name: 'extraStatTags', type: 'repeatedString' },
  { name: 'caCertificatesPem', type: 'repeatedString' },
  { name: 'tracingServiceName', type: 'enum' },
  { name: 'controlPlaneAuthPolicy', type: 'enum' },
  { name: 'interceptionMode', type: 'enum' },
  ...['tracing', 'sds', 'envoyAccessLogService', 'envoyMetricsService', 'gatewayTopology', 'readinessProbe', 'proxyStatsMatcher', 'image', 'privateKeyProvider', 'proxyHeaders', 'connectionSettings'].map(
    (name): FieldSpec => ({ name, type: 'message' }),
  ),
  { name: 'parentShutdownDuration', type: 'removed' },
  { name: 'connectTimeout', type: 'removed' },
];

const BY_NAME = new Map<string, FieldSpec>();
for (const f of PROXY_CONFIG_FIELDS) {
  BY_NAME.set(f.name, f);
  BY_NAME.set(snakeCase(f.name), f);
}

/** The field spec for a key written in camelCase or snake_case. */
export function fieldSpec(key: string): FieldSpec | undefined {
  return BY_NAME.get(key);
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** A node of the inner YAML with its range in the file. */
export interface InnerNode {
  node: Node | null;
  /** Range in the file (outer offsets). */
  range: Range;
  /** Range in the annotation string (inner offsets). */
  inner: Range;
  /** go-yaml v2 reading of a scalar. */
  scalar?: GoYamlScalar;
}

export interface ProxyConfigField {
  key: string;
  spec?: FieldSpec;
  pair: Pair;
  keyNode: InnerNode;
  valueNode: InnerNode;
}

export type ProblemKind = 'not-string' | 'not-yaml' | 'not-mapping' | 'wrong-type' | 'bad-duration';

export interface ProxyConfigProblem {
  kind: ProblemKind;
  message: string;
  range: Range;
  field?: ProxyConfigField;
  /** For `wrong-type` and `bad-duration`: the corrected inner text, when the fix is obvious. */
  suggestion?: string;
}

export interface MetadataEntry {
  key: string;
  keyRange: Range;
  valueRange: Range;
  /** The value when it is a string (else undefined: a type error). */
  value?: string;
}

export interface ParsedProxyConfig {
  /** The annotation's pair in the manifest (or the mesh's `defaultConfig` pair). */
  pair: KeyedPair;
  /** A mesh `defaultConfig` rather than a pod annotation: changes what a rejection means. */
  mesh?: boolean;
  /** The mapping of the string value to the file, when the value is a string scalar. */
  src?: ScalarSource;
  innerDoc?: Document.Parsed;
  root?: YAMLMap;
  fields: ProxyConfigField[];
  problems: ProxyConfigProblem[];
  /** `terminationDrainDuration` when written and valid (seconds), with its field. */
  drain?: { seconds: number; field: ProxyConfigField };
  /** The `terminationDrainDuration` field even when invalid. */
  drainField?: ProxyConfigField;
  proxyMetadata: Map<string, MetadataEntry>;
  proxyMetadataField?: ProxyConfigField;
  holdApplicationUntilProxyStarts?: boolean;
  statusPort?: number;
}

/** Parse a ProxyConfig annotation pair. `text` is the whole file. Never throws. */
export function parseProxyConfigAnnotation(text: string, pair: KeyedPair): ParsedProxyConfig {
  const out: ParsedProxyConfig = { pair, fields: [], problems: [], proxyMetadata: new Map() };
  const value = pair.value;
  const valueRange = rangeOfNode(value) ?? rangeOfNode(pair.key) ?? { start: 0, end: 0 };
  if (!isScalar(value)) {
    out.problems.push({ kind: 'not-string', message: `The ${PROXY_CONFIG_ANNOTATION} annotation must be a string (YAML or JSON text inside quotes or a block scalar); Kubernetes rejects other values.`, range: valueRange });
    return out;
  }
  if (typeof value.value !== 'string') {
    // A bool, number or null: `annotation-not-string` reports it; nothing more to read.
    out.problems.push({ kind: 'not-string', message: 'not a string', range: valueRange });
    return out;
  }
  const src = scalarSource(text, value as Scalar);
  out.src = src;
  return readProxyConfigString(src, out);
}

/** Read a ProxyConfig from a mapped string (annotation, or a `defaultConfig` inside a mesh string). */
export function readProxyConfigString(src: ScalarSource, out: ParsedProxyConfig): ParsedProxyConfig {
  const map = (s: number, e: number): Range => toOuterRange(src, s, e);
  let inner: Document.Parsed;
  try {
    // Istio's YAMLToJSON (go-yaml v2, not strict) accepts duplicate keys; the last one wins.
    inner = parseDocumentWithinLimit(src.value, { prettyErrors: false, uniqueKeys: false, keepSourceTokens: true });
  } catch {
    out.problems.push({ kind: 'not-yaml', message: 'The annotation is not valid YAML.', range: src.outer });
    return out;
  }
  out.innerDoc = inner;
  if (inner.errors.length > 0) {
    const e = inner.errors[0]!;
    const msg = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
    out.problems.push({ kind: 'not-yaml', message: `The annotation is not valid YAML (${msg}): Istio denies the pod.`, range: map(e.pos[0], Math.max(e.pos[0] + 1, e.pos[1])) });
    return out;
  }
  const root = inner.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!isMap(root)) {
    const r = root.range;
    out.problems.push({
      kind: 'not-mapping',
      message: 'The annotation must hold a YAML or JSON mapping of ProxyConfig fields (such as `terminationDrainDuration: 20s`); Istio denies the pod.',
      range: r ? map(r[0], r[1]) : src.outer,
    });
    return out;
  }
  return readProxyConfigMap(root, { text: src.value, map }, out);
}

/**
 * The text a ProxyConfig mapping was parsed from and how its offsets map to the file: the
 * annotation string through its scalar map, or the file itself (identity) for a
 * `defaultConfig` written as YAML in a manifest.
 */
export interface MappedText {
  text: string;
  map(start: number, end: number): Range;
}

/** The identity mapping over a file's own text. */
export function fileText(text: string): MappedText {
  return { text, map: (start, end) => ({ start, end }) };
}

/** Read a ProxyConfig mapping node (the annotation's root, or a mesh `defaultConfig`). */
export function readProxyConfigMap(root: YAMLMap, src: MappedText, out: ParsedProxyConfig): ParsedProxyConfig {
  out.root = root;
  for (const item of root.items) {
    if (!isPair(item)) continue;
    const key = keyOf(item);
    if (key === undefined) continue;
    const field: ProxyConfigField = { key, spec: fieldSpec(key), pair: item, keyNode: innerNode(src, item.key as Node), valueNode: innerNode(src, (item.value ?? null) as Node | null, item.key as Node) };
    out.fields.push(field);
    checkField(src, field, out);
  }
  return out;
}

function innerNode(src: MappedText, node: Node | null, after?: Node): InnerNode {
  let r = node?.range;
  if (!r && after?.range) r = [after.range[1], after.range[1], after.range[1]];
  const inner = { start: r?.[0] ?? 0, end: r?.[1] ?? 0 };
  const res: InnerNode = { node, range: src.map(inner.start, inner.end), inner };
  if (isScalar(node)) res.scalar = goScalar(src.text, node);
  else if (node === null) res.scalar = { type: 'null' };
  return res;
}

/** The go-yaml v2 reading of an inner scalar: quoted and block scalars are strings. */
export function goScalar(innerText: string, node: Scalar): GoYamlScalar {
  if (node.type === 'PLAIN' || node.type === undefined) {
    const r = node.range;
    const source = r ? innerText.slice(r[0], r[1]) : (node.source ?? String(node.value));
    return resolvePlainV2(source);
  }
  return { type: 'string', value: String(node.value) };
}

function describe(s: GoYamlScalar | undefined, node: Node | null): string {
  if (!s) return isSeq(node) ? 'a list' : isMap(node) ? 'a mapping' : 'this value';
  switch (s.type) {
    case 'bool':
      return `the boolean ${String(s.value)}`;
    case 'int':
    case 'float':
      return `the number ${String(s.value)}`;
    case 'null':
      return 'null';
    case 'string':
      return `the string "${s.value}"`;
  }
}

function checkField(src: MappedText, field: ProxyConfigField, out: ParsedProxyConfig): void {
  const spec = field.spec;
  if (!spec || spec.type === 'removed') return;
  const v = field.valueNode;
  const s = v.scalar;
  if (s?.type === 'null') return; // null means unset for every field type
  const wrong = (expected: string, suggestion?: string): void => {
    out.problems.push({
      kind: 'wrong-type',
      message: `\`${field.key}\` must be ${expected}, not ${describe(s, v.node)}: ${rejected(out)}.`,
      range: v.range,
      field,
      suggestion,
    });
  };
  switch (spec.type) {
    case 'string':
      if (s?.type !== 'string') wrong('a string', s ? JSON.stringify(scalarText(src, v)) : undefined);
      return;
    case 'duration': {
      if (field.key === 'terminationDrainDuration' || field.key === 'termination_drain_duration') {
        // A later key replaces an earlier one (duplicates are allowed): forget the earlier value.
        out.drainField = field;
        out.drain = undefined;
      }
      if (s?.type !== 'string') {
        const n = s && (s.type === 'int' || s.type === 'float') ? s.value : undefined;
        const suggestion = n !== undefined && n >= 0 ? goodDuration(`${n}s`) : undefined;
        out.problems.push({
          kind: 'bad-duration',
          message: `\`${field.key}\` must be a Go duration string such as "${suggestion ?? '20s'}", not ${describe(s, v.node)}: ${rejected(out)}.`,
          range: v.range,
          field,
          suggestion,
        });
        return;
      }
      const d = parseGoDuration(s.value);
      if (!d.ok) {
        const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|sec|secs|seconds?|S)?\s*$/.exec(s.value);
        out.problems.push({
          kind: 'bad-duration',
          message: `\`${field.key}\`: ${d.error}. Istio reads Go durations (\`20s\`, \`1m30s\`, \`500ms\`); ${rejected(out)}.`,
          range: v.range,
          field,
          suggestion: m && `${m[1]}s` !== s.value ? goodDuration(`${m[1]}s`) : undefined,
        });
        return;
      }
      if (spec.wholeSeconds && (d.seconds < 0.001 || !Number.isInteger(d.seconds))) {
        out.problems.push({
          kind: 'bad-duration',
          message: `\`${field.key}\` must be at least 1ms and a whole number of seconds (Istio's validation); "${s.value}" is rejected: ${rejected(out)}.`,
          range: v.range,
          field,
          // Rounded to the nearest whole second, or down when that is past Go's maximum
          // (2562047h47m16.854775807s rounds to 9223372037s, which Go rejects: found by the fuzzer).
          suggestion: d.seconds > 0 ? (goodDuration(`${Math.max(1, Math.round(d.seconds))}s`) ?? goodDuration(`${Math.max(1, Math.floor(d.seconds))}s`)) : undefined,
        });
        return;
      }
      if (field === out.drainField) out.drain = { seconds: d.seconds, field };
      return;
    }
    case 'int':
    case 'intWrapper': {
      const ok = s?.type === 'int' || (s?.type === 'float' && Number.isInteger(s.value)) || (s?.type === 'string' && /^-?\d+$/.test(s.value));
      if (!ok) wrong('an integer');
      else if (field.key === 'statusPort' || field.key === 'status_port') out.statusPort = Number(s!.value);
      return;
    }
    case 'boolWrapper':
      if (s?.type !== 'bool') wrong('a boolean (true or false, unquoted)', s?.type === 'string' && /^(true|false)$/i.test(s.value) ? s.value.toLowerCase() : undefined);
      else if (field.key === 'holdApplicationUntilProxyStarts' || field.key === 'hold_application_until_proxy_starts') out.holdApplicationUntilProxyStarts = s.value;
      return;
    case 'enum':
      if (s?.type !== 'string' && s?.type !== 'int') wrong('an enum name (a string)');
      return;
    case 'message':
      if (!isMap(v.node)) wrong('a mapping');
      return;
    case 'repeatedString':
      if (!isSeq(v.node)) wrong('a list of strings');
      else
        for (const item of v.node.items) {
          const n = innerNode(src, item as Node);
          if (n.scalar?.type !== 'string')
            out.problems.push({ kind: 'wrong-type', message: `Items of \`${field.key}\` must be strings, not ${describe(n.scalar, n.node)}: ${rejected(out)}.`, range: n.range, field, suggestion: n.scalar && n.scalar.type !== 'null' ? JSON.stringify(scalarText(src, n)) : undefined });
        }
      return;
    case 'stringMap': {
      if (!isMap(v.node)) {
        wrong('a mapping of names to string values');
        return;
      }
      const isMeta = field.key === 'proxyMetadata' || field.key === 'proxy_metadata';
      if (isMeta) out.proxyMetadataField = field;
      for (const item of v.node.items) {
        if (!isPair(item)) continue;
        const k = keyOf(item) ?? '';
        const kn = innerNode(src, item.key as Node);
        const vn = innerNode(src, (item.value ?? null) as Node | null, item.key as Node);
        const entry: MetadataEntry = { key: k, keyRange: kn.range, valueRange: vn.range };
        if (vn.scalar?.type === 'string') entry.value = vn.scalar.value;
        else {
          const scalarish = vn.scalar && vn.scalar.type !== 'null';
          out.problems.push({
            kind: 'wrong-type',
            message: `\`${field.key}.${k}\` must be a quoted string, not ${describe(vn.scalar, vn.node)}: \`${field.key}\` maps names to strings, so ${rejected(out)}.`,
            range: vn.range,
            field,
            suggestion: scalarish ? JSON.stringify(scalarText(src, vn)) : undefined,
          });
        }
        if (isMeta) out.proxyMetadata.set(k, entry);
      }
      return;
    }
  }
}

/**
 * The problems `field`'s value would have under another key (a rename's target), read as Istio
 * reads it. `text` is the text the field's inner offsets index: the annotation (or mesh) string,
 * or the file for a `defaultConfig` written as YAML. Only the problems' kinds and suggestions are
 * meaningful: their ranges are inner offsets, not mapped to the file.
 */
export function problemsUnderKey(pc: ParsedProxyConfig, field: ProxyConfigField, key: string, text: string): ProxyConfigProblem[] {
  const out: ParsedProxyConfig = { pair: pc.pair, mesh: pc.mesh, fields: [], problems: [], proxyMetadata: new Map() };
  checkField({ text, map: (start, end) => ({ start, end }) }, { ...field, key, spec: fieldSpec(key) }, out);
  return out.problems;
}

/** What happens to an invalid value: the webhook denies the pod, or Istio rejects the mesh config. */
function rejected(out: ParsedProxyConfig): string {
  return out.mesh ? 'Istio rejects this mesh configuration (istioctl and istiod validation)' : 'Istio rejects the annotation and the pod is denied';
}

/** The text of an inner scalar as written. */
function scalarText(src: MappedText, n: InnerNode): string {
  return src.text.slice(n.inner.start, n.inner.end);
}

function rangeOfNode(node: unknown): Range | undefined {
  const r = (node as Node | null | undefined)?.range;
  return r ? { start: r[0], end: r[1] } : undefined;
}

/** A suggested duration only when Go would accept it (`99999999999999999999s` overflows: no fix, found by the fuzzer). */
function goodDuration(d: string): string | undefined {
  return parseGoDuration(d).ok ? d : undefined;
}

/** Levenshtein distance, for "did you mean" suggestions on unknown keys. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[n] ?? 0;
}

/** The closest ProxyConfig field name to an unknown key, when one is close enough. */
export function closestField(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const k = key.toLowerCase().replace(/_/g, '');
  for (const f of PROXY_CONFIG_FIELDS) {
    if (f.type === 'removed') continue;
    const d = editDistance(k, f.name.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = f.name;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 5)) ? best : undefined;
}
