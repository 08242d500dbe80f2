/**
 * The one accessor from any workload kind to its pod template. Rules never switch on
 * `kind`: they get a `PodTemplate` with the nodes (and so the source ranges) they need.
 */
import { isMap, isScalar, type Document, type Scalar, type YAMLMap } from 'yaml';
import { deref, mapAt, mapsOf, pairOf, scalarAt, seqAt, stringAt, stringsOf, type KeyedPair } from '../yaml/nodes';
import { netstatWaitLoop, sleepArgIndex, sleepDuration } from './command';
import type { K8sObject } from './documents';

/** The handler types Kubernetes knows for a lifecycle hook. */
export const HANDLER_TYPES = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

export interface HookInfo {
  /** The `preStop:` (or `postStart:`) pair. */
  pair: KeyedPair;
  node?: YAMLMap;
  handlers: { type: string; pair: KeyedPair }[];
  /** `sleep.seconds`, when written as a scalar. */
  sleepSeconds?: { value: unknown; node: Scalar };
  /** `exec.command`, element by element. */
  exec?: { command: { value: string; node: Scalar }[] };
  /** The hook's known duration and the node that holds the number. */
  duration?: { seconds: number; exact: boolean; node: Scalar };
  /** A netstat "wait until the app's sockets close" loop. */
  netstat?: { excludesPilotAgent: boolean; node: Scalar };
}

export interface ContainerInfo {
  node: YAMLMap;
  name?: string;
  nameNode?: Scalar;
  image?: string;
  /** Listed under `initContainers`. */
  init: boolean;
  /** An init container with `restartPolicy: Always`: a Kubernetes native sidecar. */
  restartAlways: boolean;
  lifecyclePair?: KeyedPair;
  lifecycle?: YAMLMap;
  preStop?: HookInfo;
  postStart?: HookInfo;
  /** `command` and `args`, as strings. */
  commandLine: string[];
  /** `env` entries with literal values. */
  env: Map<string, { value?: string; node?: Scalar }>;
}

export interface PodTemplate {
  object: K8sObject;
  doc: Document.Parsed;
  /** The map holding the pod's `metadata` and `spec` (the object itself for a Pod). */
  template: YAMLMap;
  /** The pair whose value is `template` (absent for a Pod). */
  templatePair?: KeyedPair;
  /** True when the template is the object itself (kind Pod). */
  isPod: boolean;
  metadataPair?: KeyedPair;
  metadata?: YAMLMap;
  annotationsPair?: KeyedPair;
  annotations?: YAMLMap;
  labels?: YAMLMap;
  specPair: KeyedPair;
  spec: YAMLMap;
  containers: ContainerInfo[];
  initContainers: ContainerInfo[];
  /** A Job or CronJob pod: it is expected to finish. */
  isJob: boolean;
  /** A Knative Service/Configuration: the grace period is the revision timeout. */
  knative: boolean;
}

/** The pod templates of an object (zero or one). */
export function podTemplatesOf(obj: K8sObject): PodTemplate[] {
  const doc = obj.doc;
  const kind = obj.kind ?? '';
  const api = obj.apiVersion ?? '';
  if (kind === 'Pod') {
    const specPair = pairOf(obj.node, 'spec');
    const spec = mapAt(doc, obj.node, 'spec');
    if (!specPair || !spec) return [];
    return [build(obj, obj.node, undefined, true, specPair, spec, false, false)];
  }
  const objSpec = mapAt(doc, obj.node, 'spec');
  let holder: YAMLMap | undefined = objSpec;
  let isJob = kind === 'Job';
  if (kind === 'CronJob') {
    holder = mapAt(doc, mapAt(doc, objSpec, 'jobTemplate'), 'spec');
    isJob = true;
  } else if (kind === 'PodTemplate' && api === 'v1') {
    holder = obj.node;
  }
  const templatePair = pairOf(holder, 'template');
  const template = mapAt(doc, holder, 'template');
  if (!templatePair || !template) return [];
  const specPair = pairOf(template, 'spec');
  const spec = mapAt(doc, template, 'spec');
  if (!specPair || !spec) return [];
  // The generic walk: anything whose template spec has a `containers` list is a pod template.
  // Known kinds qualify even while their containers are still being typed.
  const known = KNOWN_KINDS.has(kind);
  if (!known && !seqAt(doc, spec, 'containers')) return [];
  const knative = api.startsWith('serving.knative.dev/') && (kind === 'Service' || kind === 'Configuration');
  return [build(obj, template, templatePair, false, specPair, spec, isJob, knative)];
}

const KNOWN_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Rollout', 'PodTemplate']);

function build(
  obj: K8sObject,
  template: YAMLMap,
  templatePair: KeyedPair | undefined,
  isPod: boolean,
  specPair: KeyedPair,
  spec: YAMLMap,
  isJob: boolean,
  knative: boolean,
): PodTemplate {
  const doc = obj.doc;
  const metadata = mapAt(doc, template, 'metadata');
  return {
    object: obj,
    doc,
    template,
    templatePair,
    isPod,
    metadataPair: pairOf(template, 'metadata'),
    metadata,
    annotationsPair: pairOf(metadata, 'annotations'),
    annotations: mapAt(doc, metadata, 'annotations'),
    labels: mapAt(doc, metadata, 'labels'),
    specPair,
    spec,
    containers: mapsOf(doc, seqAt(doc, spec, 'containers')).map((c) => containerOf(doc, c, false)),
    initContainers: mapsOf(doc, seqAt(doc, spec, 'initContainers')).map((c) => containerOf(doc, c, true)),
    isJob,
    knative,
  };
}

function containerOf(doc: Document.Parsed, node: YAMLMap, init: boolean): ContainerInfo {
  const lifecyclePair = pairOf(node, 'lifecycle');
  const lifecycle = mapAt(doc, node, 'lifecycle');
  const env = new Map<string, { value?: string; node?: Scalar }>();
  for (const e of mapsOf(doc, seqAt(doc, node, 'env'))) {
    const name = stringAt(doc, e, 'name');
    if (name === undefined) continue;
    const v = scalarAt(doc, e, 'value');
    env.set(name, { value: v && v.value !== null ? String(v.value) : undefined, node: v });
  }
  const commandLine = [
    ...stringsOf(doc, seqAt(doc, node, 'command')).map((s) => s.value),
    ...stringsOf(doc, seqAt(doc, node, 'args')).map((s) => s.value),
  ];
  const nameNode = scalarAt(doc, node, 'name');
  return {
    node,
    name: stringAt(doc, node, 'name'),
    nameNode,
    image: stringAt(doc, node, 'image'),
    init,
    restartAlways: init && stringAt(doc, node, 'restartPolicy') === 'Always',
    lifecyclePair,
    lifecycle,
    preStop: hookOf(doc, lifecycle, 'preStop'),
    postStart: hookOf(doc, lifecycle, 'postStart'),
    commandLine,
    env,
  };
}

function hookOf(doc: Document.Parsed, lifecycle: YAMLMap | undefined, name: string): HookInfo | undefined {
  const pair = pairOf(lifecycle, name);
  if (!pair) return undefined;
  const node = deref(doc, pair.value);
  const map = isMap(node) ? node : undefined;
  const handlers: HookInfo['handlers'] = [];
  for (const t of HANDLER_TYPES) {
    const p = pairOf(map, t);
    if (p && deref(doc, p.value) !== null && !(isScalar(deref(doc, p.value)) && (deref(doc, p.value) as Scalar).value === null)) {
      handlers.push({ type: t, pair: p });
    }
  }
  const hook: HookInfo = { pair, node: map, handlers };
  const seconds = scalarAt(doc, mapAt(doc, map, 'sleep'), 'seconds');
  if (seconds) {
    hook.sleepSeconds = { value: seconds.value, node: seconds };
    if (typeof seconds.value === 'number' && Number.isFinite(seconds.value)) {
      hook.duration = { seconds: seconds.value, exact: true, node: seconds };
    }
  }
  const execMap = mapAt(doc, map, 'exec');
  const cmdSeq = seqAt(doc, execMap, 'command');
  if (cmdSeq) {
    const command = stringsOf(doc, cmdSeq);
    hook.exec = { command };
    const values = command.map((c) => c.value);
    if (!hook.duration) {
      const d = sleepDuration(values);
      const idx = sleepArgIndex(values);
      const at = idx !== undefined ? command[idx] : command[0];
      if (d && at) hook.duration = { seconds: d.seconds, exact: d.exact, node: at.node };
    }
    const loop = netstatWaitLoop(values);
    const at = loop ? command[loop.argIndex] : undefined;
    if (loop && at) hook.netstat = { excludesPilotAgent: loop.excludesPilotAgent, node: at.node };
  }
  return hook;
}
