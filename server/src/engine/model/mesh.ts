/**
 * Mesh-wide Istio configuration found in a run's files: IstioOperator, the mesh ConfigMap
 * (`istio[-<rev>]`, YAML in its `mesh` key), istiod Helm values (recognised by content), Sail
 * `Istio` resources, the sidecar injector ConfigMap (JSON in its `values` key) and ProxyConfig
 * resources. Each source is read into the same shape, per revision, with a range for every
 * value so findings and hovers can say where a pod's drain comes from.
 */
import { isMap, isScalar, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { Range } from '../types';
import { deref, keyOf, mapAt, mapPath, pairOf, scalarAt, seqAt, stringAt, type KeyedPair } from '../yaml/nodes';
import { scalarSource, toOuterRange, type ScalarSource } from '../yaml/scalar-source';
import { netstatWaitLoop, sleepDuration } from './command';
import type { K8sObject } from './documents';
import { fileText, readProxyConfigMap, type MappedText, type ParsedProxyConfig } from './proxy-config';
import { addDuplicateKeyErrors, parseOptions } from '../yaml/unique-keys';
import { parseDocumentWithinLimit } from '../yaml/depth';

export type MeshSourceKind = 'IstioOperator' | 'mesh ConfigMap' | 'istiod Helm values' | 'Sail Istio' | 'injector ConfigMap' | '.drainguard.yaml';

/** A value read from a mesh source, with where it is. */
export interface MeshValue<T> {
  value: T;
  range: Range;
}

/** The `global.proxy.lifecycle` of a source, as far as the analysis needs it. */
export interface MeshLifecycle {
  range: Range;
  /** The lifecycle mapping (YAML node; for injector JSON, the parsed JSON node). */
  node?: YAMLMap;
  hasPreStop: boolean;
  hasPostStart: boolean;
  /** Known seconds of its preStop, 0 without one. */
  preStopSeconds: number;
  preStopExact: boolean;
  /** The preStop runs the netstat wait-for-the-app loop. */
  waitsForApp: boolean;
  /** The preStop loop lacks the pilot-agent exclusion. */
  netstatHangs: boolean;
  /** The command element holding the loop: its range in the file, in the mapped text, and its value. */
  loop?: { range: Range; inner: Range; value: string };
  /** Mapping of the lifecycle's own text to the file (JSON inside the injector ConfigMap). */
  mapped: MappedText;
  doc: Document;
}

export interface MeshSource {
  kind: MeshSourceKind;
  uri: string;
  /** The file's text (for line numbers in messages). */
  text: string;
  /** The control-plane revision ("default" for the default revision). */
  revision: string;
  /** "IstioOperator control-plane", "ConfigMap istio-sidecar-injector-canary". */
  label: string;
  /** The object (absent for Helm values files, which are whole documents, and .drainguard.yaml). */
  object?: K8sObject;
  /** The whole source's range (for findings on the source itself). */
  range: Range;
  /** `meshConfig.defaultConfig` read as a ProxyConfig. */
  defaultConfig?: ParsedProxyConfig;
  /** `pilot.env.ENABLE_NATIVE_SIDECARS` (or the top-level `env`). */
  nativeSidecars?: MeshValue<string>;
  /** `global.proxy.lifecycle`. */
  lifecycle?: MeshLifecycle;
  /** Where `global.proxy` is (the injector rule points there), and its parent chain. */
  proxy?: { range: Range; node?: YAMLMap };
  /** `global.proxy.holdApplicationUntilProxyStarts` (values form). */
  holdValues?: MeshValue<boolean>;
  /** `global.variant` (distroless images have no shell). */
  variant?: MeshValue<string>;
  /** The injector `values` string: its JSON, its mapping and problems. */
  injector?: InjectorValues;
}

export interface InjectorValues {
  pair: KeyedPair;
  src?: ScalarSource;
  mapped?: MappedText;
  doc?: Document.Parsed;
  /** `values` is not valid JSON: the message and where. */
  jsonError?: { message: string; range: Range };
}

/** ProxyConfig CRs (networking.istio.io): environment variables per namespace or selector. */
export interface ProxyConfigResource {
  uri: string;
  text: string;
  object: K8sObject;
  namespace?: string;
  selector?: Map<string, string>;
  env: Map<string, MeshValue<string>>;
}

const ROOT_NAMESPACE = 'istio-system';
export { ROOT_NAMESPACE };

/** Read the mesh sources of one object (or a Helm values document). */
export function meshSourcesOf(uri: string, text: string, obj: K8sObject): MeshSource[] {
  const doc = obj.doc;
  const kind = obj.kind ?? '';
  const api = obj.apiVersion ?? '';
  const file = fileText(text);
  const range = obj.range;
  if (kind === 'IstioOperator' && api.startsWith('install.istio.io/')) {
    const spec = mapAt(doc, obj.node, 'spec');
    const values = mapAt(doc, spec, 'values');
    const revision = stringAt(doc, spec, 'revision') || stringAt(doc, values, 'revision') || 'default';
    const src: MeshSource = { kind: 'IstioOperator', uri, text, revision, label: `IstioOperator ${obj.name ?? ''}`.trim(), object: obj, range };
    const meshConfig = mapAt(doc, spec, 'meshConfig') ?? mapAt(doc, values, 'meshConfig');
    readValues(doc, file, values, src);
    readMeshConfig(doc, file, meshConfig, src);
    // The env list of the pilot component (`components.pilot.k8s.env`).
    if (!src.nativeSidecars) {
      const env = seqAt(doc, mapPath(doc, spec, ['components', 'pilot', 'k8s']), 'env');
      for (const item of env?.items ?? []) {
        const m = deref(doc, item);
        if (isMap(m) && stringAt(doc, m, 'name') === 'ENABLE_NATIVE_SIDECARS') {
          const v = scalarAt(doc, m, 'value');
          if (v?.range) src.nativeSidecars = { value: String(v.value), range: { start: v.range[0], end: v.range[1] } };
        }
      }
    }
    return [src];
  }
  if (kind === 'Istio' && api.startsWith('sailoperator.io/')) {
    const spec = mapAt(doc, obj.node, 'spec');
    const values = mapAt(doc, spec, 'values');
    const revision = stringAt(doc, values, 'revision') || 'default';
    const src: MeshSource = { kind: 'Sail Istio', uri, text, revision, label: `Istio ${obj.name ?? ''}`.trim(), object: obj, range };
    readValues(doc, file, values, src);
    readMeshConfig(doc, file, mapAt(doc, values, 'meshConfig'), src);
    return [src];
  }
  if (kind === 'ConfigMap') {
    const name = obj.name ?? '';
    const data = mapAt(doc, obj.node, 'data');
    const revLabel = stringAt(doc, obj.labels, 'istio.io/rev');
    if (name.startsWith('istio-sidecar-injector') && pairOf(data, 'values')) {
      const revision = revLabel || name.slice('istio-sidecar-injector-'.length) || 'default';
      const src: MeshSource = { kind: 'injector ConfigMap', uri, text, revision, label: `ConfigMap ${name}`, object: obj, range };
      readInjector(text, doc, pairOf(data, 'values')!, src);
      return [src];
    }
    if ((name === 'istio' || name.startsWith('istio-')) && pairOf(data, 'mesh')) {
      const meshPair = pairOf(data, 'mesh')!;
      const v = deref(doc, meshPair.value);
      if (!isScalar(v) || typeof v.value !== 'string') return [];
      const revision = revLabel || (name === 'istio' ? 'default' : name.slice('istio-'.length));
      const src: MeshSource = { kind: 'mesh ConfigMap', uri, text, revision, label: `ConfigMap ${name}`, object: obj, range };
      const ss = scalarSource(text, v);
      let inner: Document.Parsed;
      try {
        // The duplicate-key check in linear time (yaml/unique-keys.ts): the package's own is quadratic.
        inner = parseDocumentWithinLimit(ss.value, parseOptions({ prettyErrors: false, keepSourceTokens: true }));
        addDuplicateKeyErrors(inner);
      } catch {
        return [src];
      }
      if (inner.errors.length > 0 || !isMap(inner.contents)) return [src];
      const mapped: MappedText = { text: ss.value, map: (a, b) => toOuterRange(ss, a, b) };
      readMeshConfig(inner, mapped, inner.contents, src, ss);
      return [src];
    }
    return [];
  }
  // istiod Helm values: a document that is not a Kubernetes object and has the chart's keys.
  if (!obj.kind && !obj.apiVersion) {
    const root = obj.node;
    const meshConfig = mapAt(doc, root, 'meshConfig');
    const global = mapAt(doc, root, 'global');
    const pilot = mapAt(doc, root, 'pilot');
    const looksLikeIstiod =
      (meshConfig && (pairOf(meshConfig, 'defaultConfig') || pairOf(meshConfig, 'accessLogFile') || pairOf(meshConfig, 'enableTracing'))) ||
      (global && mapAt(doc, global, 'proxy') && (pairOf(global, 'hub') || pairOf(global, 'istioNamespace') || pairOf(mapAt(doc, global, 'proxy'), 'lifecycle'))) ||
      (pilot && (pairOf(pilot, 'env') || pairOf(pilot, 'autoscaleEnabled')));
    if (!looksLikeIstiod) return [];
    const revision = stringAt(doc, root, 'revision') || 'default';
    const src: MeshSource = { kind: 'istiod Helm values', uri, text, revision, label: 'istiod Helm values', object: obj, range };
    readValues(doc, file, root, src);
    readMeshConfig(doc, file, meshConfig, src);
    if (!src.nativeSidecars) {
      const v = scalarAt(doc, mapAt(doc, root, 'env'), 'ENABLE_NATIVE_SIDECARS');
      if (v?.range) src.nativeSidecars = { value: String(v.value), range: { start: v.range[0], end: v.range[1] } };
    }
    return [src];
  }
  return [];
}

/** `meshConfig.defaultConfig`. */
function readMeshConfig(doc: Document, text: MappedText, meshConfig: YAMLMap | undefined, src: MeshSource, scalar?: ScalarSource): void {
  const dc = mapAt(doc, meshConfig, 'defaultConfig');
  const pair = pairOf(meshConfig, 'defaultConfig');
  if (!dc || !pair) return;
  // For the mesh ConfigMap the config is YAML inside a string: fixes edit through its scalar map.
  src.defaultConfig = readProxyConfigMap(dc, text, { pair, mesh: true, src: scalar, fields: [], problems: [], proxyMetadata: new Map() });
}

/** The Helm values parts: `global.proxy.lifecycle`, hold, variant, `pilot.env.ENABLE_NATIVE_SIDECARS`. */
function readValues(doc: Document, text: MappedText, values: YAMLMap | undefined, src: MeshSource): void {
  if (!values) return;
  const global = mapAt(doc, values, 'global');
  const proxyPair = pairOf(global, 'proxy');
  const proxy = mapAt(doc, global, 'proxy');
  if (proxyPair) {
    const k = proxyPair.key as Node;
    src.proxy = { range: text.map(k.range![0], k.range![1]), node: proxy };
  }
  const lcPair = pairOf(proxy, 'lifecycle');
  if (lcPair) src.lifecycle = lifecycleOf(doc, text, lcPair);
  const hold = scalarAt(doc, proxy, 'holdApplicationUntilProxyStarts');
  if (hold?.range && typeof hold.value === 'boolean') src.holdValues = { value: hold.value, range: text.map(hold.range[0], hold.range[1]) };
  const variant = scalarAt(doc, global, 'variant');
  if (variant?.range && variant.value !== null) src.variant = { value: String(variant.value), range: text.map(variant.range[0], variant.range[1]) };
  const native = scalarAt(doc, mapAt(doc, mapAt(doc, values, 'pilot'), 'env'), 'ENABLE_NATIVE_SIDECARS');
  if (native?.range && native.value !== null) src.nativeSidecars = { value: String(native.value), range: text.map(native.range[0], native.range[1]) };
}

function lifecycleOf(doc: Document, text: MappedText, pair: KeyedPair): MeshLifecycle | undefined {
  const k = pair.key as Node;
  const v = deref(doc, pair.value);
  const node = isMap(v) ? v : undefined;
  const range = text.map(k.range![0], k.range![1]);
  const empty = !node || node.items.length === 0;
  const preStop = mapAt(doc, node, 'preStop');
  const command = seqAt(doc, mapAt(doc, preStop, 'exec'), 'command');
  const strings = (command?.items ?? []).map((i) => deref(doc, i)).filter(isScalar).map((s) => String((s as Scalar).value));
  const sleepSec = scalarAt(doc, mapAt(doc, preStop, 'sleep'), 'seconds');
  const d = sleepSec && typeof sleepSec.value === 'number' ? { seconds: sleepSec.value, exact: true } : strings.length ? sleepDuration(strings) : undefined;
  const loop = strings.length ? netstatWaitLoop(strings) : undefined;
  if (empty && !isMap(v)) {
    // `lifecycle:` null or a scalar: Helm treats it as empty (no lifecycle).
    if (v === null || v === undefined || (isScalar(v) && (v.value === null || v.value === ''))) return undefined;
  }
  if (empty) return undefined;
  const loopNode = loop ? deref(doc, command?.items[loop.argIndex]) : undefined;
  const loopAt = isScalar(loopNode) && loopNode.range ? { range: text.map(loopNode.range[0], loopNode.range[1]), inner: { start: loopNode.range[0], end: loopNode.range[1] }, value: String(loopNode.value) } : undefined;
  return {
    loop: loopAt,
    range,
    node,
    hasPreStop: !!pairOf(node, 'preStop'),
    hasPostStart: !!pairOf(node, 'postStart'),
    preStopSeconds: d?.seconds ?? 0,
    preStopExact: d?.exact ?? false,
    waitsForApp: !!loop,
    netstatHangs: !!loop && !loop.excludesPilotAgent,
    mapped: text,
    doc,
  };
}

/** The injector ConfigMap's `values`: a JSON string. */
function readInjector(text: string, doc: Document, pair: KeyedPair, src: MeshSource): void {
  const inj: InjectorValues = { pair };
  src.injector = inj;
  const v = deref(doc, pair.value);
  if (!isScalar(v) || typeof v.value !== 'string') {
    const r = (v as Node | null)?.range ?? (pair.key as Node).range!;
    inj.jsonError = { message: '`values` must be a string holding JSON.', range: { start: r[0], end: r[1] } };
    return;
  }
  const ss = scalarSource(text, v);
  inj.src = ss;
  const mapped: MappedText = { text: ss.value, map: (a, b) => toOuterRange(ss, a, b) };
  inj.mapped = mapped;
  const err = jsonError(ss.value);
  if (err) {
    inj.jsonError = { message: err.message, range: mapped.map(err.offset, Math.min(ss.value.length, err.offset + 1)) };
    return;
  }
  let jdoc: Document.Parsed;
  try {
    jdoc = parseDocumentWithinLimit(ss.value, parseOptions({ prettyErrors: false, keepSourceTokens: true }));
    addDuplicateKeyErrors(jdoc);
  } catch {
    return;
  }
  inj.doc = jdoc;
  if (!isMap(jdoc.contents)) {
    inj.jsonError = { message: '`values` must hold a JSON object.', range: ss.outer };
    return;
  }
  readValues(jdoc, mapped, jdoc.contents, src);
  const rev = scalarAt(jdoc, jdoc.contents, 'revision');
  if (rev && typeof rev.value === 'string' && rev.value !== '' && src.revision === 'default') src.revision = rev.value;
  // `global.proxy.lifecycle` must be an object.
  const lcPair = pairOf(mapPath(jdoc, jdoc.contents, ['global', 'proxy']), 'lifecycle');
  if (lcPair) {
    const lv = deref(jdoc, lcPair.value);
    if (!isMap(lv) && !(isScalar(lv) && lv.value === null)) {
      const r = (lv as Node).range!;
      inj.jsonError = { message: '`global.proxy.lifecycle` must be a JSON object (a Kubernetes Lifecycle).', range: mapped.map(r[0], r[1]) };
    }
  }
}

/** A strict JSON check that says where the first error is (V8's messages do not always). */
export function jsonError(s: string): { message: string; offset: number } | undefined {
  let i = 0;
  const n = s.length;
  const ws = (): void => {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const fail = (what: string): never => {
    throw { message: i >= n ? `unexpected end of JSON (${what})` : `unexpected ${JSON.stringify(s[i])} in JSON (${what})`, offset: Math.min(i, Math.max(0, n - 1)) };
  };
  const str = (): void => {
    if (s[i] !== '"') fail('expected a double-quoted string');
    i++;
    while (i < n && s[i] !== '"') {
      const c = s.charCodeAt(i);
      if (c < 0x20) fail('control character in a string');
      if (s[i] === '\\') {
        i++;
        if (s[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail('bad \\u escape');
          i += 5;
          continue;
        }
        if (!'"\\/bfnrt'.includes(s[i] ?? 'x')) fail('bad escape');
      }
      i++;
    }
    if (i >= n) fail('unterminated string');
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('nested too deeply');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (s[i] !== ':') fail('expected ":"');
        i++;
        value(depth + 1);
        ws();
        if (s[i] === ',') {
          i++;
          ws();
          if (s[i] === '}') fail('trailing comma');
          continue;
        }
        if (s[i] === '}') {
          i++;
          return;
        }
        fail('expected "," or "}"');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (s[i] === ',') {
          i++;
          ws();
          if (s[i] === ']') fail('trailing comma');
          continue;
        }
        if (s[i] === ']') {
          i++;
          return;
        }
        fail('expected "," or "]"');
      }
    } else if (c === '"') str();
    else {
      const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i, i + 400));
      if (!m) fail('expected a value');
      i += m![0].length;
    }
  };
  try {
    value(0);
    ws();
    if (i < n) fail('extra text after the JSON value');
    return undefined;
  } catch (e) {
    if (e && typeof e === 'object' && 'offset' in e) return e as { message: string; offset: number };
    return { message: 'invalid JSON', offset: 0 };
  }
}

/** Read a ProxyConfig resource. */
export function proxyConfigResourceOf(uri: string, text: string, obj: K8sObject): ProxyConfigResource | undefined {
  if (obj.kind !== 'ProxyConfig' || !(obj.apiVersion ?? '').startsWith('networking.istio.io/')) return undefined;
  const doc = obj.doc;
  const spec = mapAt(doc, obj.node, 'spec');
  const env = new Map<string, MeshValue<string>>();
  for (const item of mapAt(doc, spec, 'environmentVariables')?.items ?? []) {
    const k = keyOf(item);
    const v = deref(doc, item.value);
    if (k && isScalar(v) && v.range) env.set(k, { value: v.value === null ? '' : String(v.value), range: { start: v.range[0], end: v.range[1] } });
  }
  const ml = mapAt(doc, mapAt(doc, spec, 'selector'), 'matchLabels');
  let selector: Map<string, string> | undefined;
  if (ml) {
    selector = new Map();
    for (const item of ml.items) {
      const k = keyOf(item);
      const v = deref(doc, item.value);
      if (k && isScalar(v)) selector.set(k, String(v.value));
    }
  }
  return { uri, text, object: obj, namespace: obj.namespace, selector, env };
}
