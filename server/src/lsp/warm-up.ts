/**
 * Warming up the engine while the server is idle. Node compiles the YAML parser and the
 * engine's code lazily and optimises it only after many runs, for what those runs showed it, so
 * a large file analysed by a server that has just started takes several times as long as the
 * same file a little later (the Argo CD install manifest: ~50 ms of analysis in a new process
 * against ~8 ms). Once the server has had nothing to do for half a second after `initialized`,
 * it therefore runs `warmUpRun` 250 times, one run per turn of the event loop (a request that
 * arrives meanwhile waits for at most one run: tens of milliseconds for the first few, a few
 * after that). A run analyses a built-in manifest whole; one run in two it then converts and
 * encodes the findings as the server publishes them, the other runs analyse an edit of it (one
 * edit in two leaves a YAML error, so that the package's parser is compiled too).
 *
 * The manifest shows the engine what real files do: a labelled Namespace (a document without
 * pods that matters), workloads of the kinds the model reads a pod template from (those it knows
 * by name, Knative's, and one it does not know), pods in a plain shape and in one shape per
 * mistake the rules report, a List and the sidecar injector's ConfigMap; every document of it
 * is read by the fast path (`yaml/fast-parse.ts`), as plain manifests are.
 * `test/unit/warm-up.test.ts` keeps it so. Measured in one process on the 62k-line workload
 * manifest (`bench/workloads.ts`), its first analysis after the warm-up and 3 s idle: ~190 ms
 * when the manifest was a dozen workloads of five kinds, all in one shape (every rule's check was
 * recompiled at the file's first document without pods); with this one (before its last three
 * kinds were added), medians of six, ~240 ms after 150 runs, ~170 ms after 200, ~130 ms after
 * 250, ~125 ms after 300 (70–80 ms once everything is compiled; the VM's load moves single
 * figures by tens of ms). It reads no file and reports nothing. It costs about 2 s of the main
 * thread and 3.5–4 s of the process's CPU (V8 compiles and collects on other threads) once per
 * server start, twice what the earlier warm-up cost.
 */
import type { FileResult } from '../engine/analyze';
import { analyzeOpenFile, editOpenFile, updateOpenFile } from '../engine/incremental';
import { emptyContext, type AnalysisContext } from '../engine/model/effective';
import { defaultSettings, type Settings } from '../engine/settings';
import type { NotificationMessage } from 'vscode-languageserver-protocol';
import { toDiagnostic } from './convert';
import { reusingJsonEncoder } from './stdio';
import { ChunkedTextDocument } from './text-document';

/**
 * The kinds of workload the model reads a pod template from (`model/pod-template.ts`): the ones
 * it knows by name, Knative's two, and one it does not know (OpenKruise's CloneSet), which takes
 * the generic path for anything whose template spec has containers.
 */
const KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod', 'PodTemplate', 'Rollout', 'KnativeService', 'KnativeConfiguration', 'CloneSet'] as const;

/**
 * The shapes a pod takes in the warm-up: a plain one, then one per mistake the rules report (so
 * that every rule's reporting path, and the model's paths for what it reads, run: code V8 has
 * never seen run is compiled for what it has, and recompiled on the first real file that shows
 * more). `CASES` many; `workload` picks one by number.
 */
const CASES = 16;

/** One workload document: `n` numbers it, `c` (0 to CASES - 1) says which shape its pod takes. */
function workload(kind: (typeof KINDS)[number], n: number, c: number): string {
  const name = `warm-${n}`;
  const job = kind === 'Job' || kind === 'CronJob';
  const grace = c === 11 ? 120 : [30, 45, 20][n % 3]!;
  const drain = c === 1 ? grace + 15 : [5, 10, 15][n % 3]!;
  const labels = [`app: ${name}`, `version: v${n % 3}`];
  // Jobs usually opt out of the mesh (a classic sidecar keeps them running): case 7 does not, and
  // case 8 opts in with the annotation instead of the label.
  if (job && c !== 8) labels.push(`sidecar.istio.io/inject: "${c === 7 ? 'true' : 'false'}"`);
  else if (n % 2 === 0) labels.push('sidecar.istio.io/inject: "true"');
  const ann: string[] = [];
  if (c === 8) ann.push('sidecar.istio.io/inject: "true"');
  if (c === 2) ann.push('sidecar.istio.io/nativeSidecar: true');
  if (c === 6 || c === 15) ann.push('sidecar.istio.io/nativeSidecar: "true"');
  if (c === 3) ann.push('proxy.istio.io/config: |', `  terminationDrainDuration: ${drain}`);
  else if (c === 9) ann.push('proxy.istio.io/config: |', '  terminationDrainDurations: 10s');
  else if (c === 10)
    ann.push(n % 2 ? `proxy.istio.io/config: '{"terminationDrainDuration": "${drain}s", "drainDuration": "45s"'` : `proxy.istio.io/config: '{"proxyMetadata": {"EXIT_ON_ZERO_ACTIVE_CONNECTIONS": true}}'`);
  else if (c === 12) ann.push(`proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'`);
  else if (c === 14) ann.push('proxy.istio.io/config: |', '  terminationDrainDuration: 0s');
  else if (c === 15) ann.push(`proxy.istio.io/config: '{"terminationDrainDuration": "${drain}s", "holdApplicationUntilProxyStarts": true}'`, 'drainguard/ignore: "drain-setting-ignored"');
  else if (c !== 11)
    ann.push('proxy.istio.io/config: |', `  terminationDrainDuration: ${drain}s`, '  proxyMetadata:', `    EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "${n % 5 === 0}"`);
  if (c === 12 && n % 2 === 0) ann.push('sidecar.istio.io/proxyImageType: distroless');
  const sleep = c === 4 ? grace + 10 : Math.max(0, drain - 5);
  const meta = ['metadata:', '  labels:', ...labels.map((l) => `    ${l}`), ...(ann.length ? ['  annotations:', ...ann.map((a) => `    ${a}`)] : [])];
  const spec = [
    'spec:',
    ...(kind === 'KnativeService' || kind === 'KnativeConfiguration' ? [] : [`  terminationGracePeriodSeconds: ${grace}`]),
    ...(job ? ['  restartPolicy: OnFailure'] : []),
    '  containers:',
    '  - name: app',
    `    image: registry.example.com/warm/app:1.${n}`,
    '    env:',
    '    - name: MODE',
    '      value: "serve"',
    '    - name: TOKEN',
    '      valueFrom: {secretKeyRef: {name: warm, key: token}}',
    '    ports:',
    `    - containerPort: ${8000 + (n % 100)}`,
    '      name: http',
    ...(c === 13
      ? ['    lifecycle:', '      preStop:', '        sleep:', `          seconds: ${grace + 5}`]
      : sleep > 0
        ? ['    lifecycle:', '      preStop:', '        exec:', `          command: ["sh", "-c", "sleep ${sleep}"]`]
        : []),
    '    resources:',
    `      requests: {cpu: ${50 * (1 + (n % 8))}m, memory: 128Mi}`,
    // What the rest of a real pod spec holds: args, probes, mounts, a comment.
    '    args:',
    '    - /usr/local/bin/app',
    `    - --port=${8000 + (n % 100)}`,
    "    - 'info'",
    '    readinessProbe:',
    '      httpGet:',
    '        path: /healthz',
    '        port: 8080',
    '      initialDelaySeconds: 5',
    '    securityContext:',
    '      capabilities:',
    '        drop:',
    '        - ALL',
    '    volumeMounts:',
    '    - mountPath: /tmp # scratch',
    '      name: tmp',
    ...(c === 13 ? ['  - name: metrics', '    image: exporter:2', '    lifecycle:', '      postStart:', '        tcpSocket:', '          port: 9090'] : []),
    ...(c === 12
      ? ['  - name: istio-proxy', '    image: auto', '    lifecycle:', '      preStop:', '        exec:', '          command:', '          - /bin/sh', '          - -c', '          - while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done']
      : c === 15
        ? ['  - name: istio-proxy', '    image: auto', '    lifecycle:', '      preStop:', '        sleep:', '          seconds: 10']
        : []),
    ...(c === 6 ? ['  initContainers:', '  - name: log-shipper', '    image: fluent-bit:3', '    restartPolicy: Always', '    lifecycle:', '      preStop:', '        exec:', '          command: ["sleep", "5"]'] : []),
    '  volumes:',
    '  - emptyDir: {}',
    '    name: tmp',
  ];
  const indent = (lines: string[], by: number): string => lines.map((l) => ' '.repeat(by) + l).join('\n');
  const template = [...meta, ...spec];
  const objMeta = `metadata:\n  name: ${name}\n  namespace: warm\n  labels:\n    app: ${name}\n${c === 5 ? '  annotations:\n    proxy.istio.io/config: |\n      terminationDrainDuration: 10s\n' : ''}`;
  switch (kind) {
    case 'Pod':
      return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: warm\n${indent(meta.slice(1), 0)}\n${indent(spec, 0)}\n`;
    case 'PodTemplate':
      return `apiVersion: v1\nkind: PodTemplate\n${objMeta}template:\n${indent(template, 2)}\n`;
    case 'CronJob':
      return `apiVersion: batch/v1\nkind: CronJob\n${objMeta}spec:\n  schedule: "*/${5 + (n % 50)} * * * *"\n  jobTemplate:\n    spec:\n      template:\n${indent(template, 8)}\n`;
    case 'KnativeService':
    case 'KnativeConfiguration':
      return `apiVersion: serving.knative.dev/v1\nkind: ${kind.slice(7)}\n${objMeta}spec:\n  template:\n${indent(template, 4)}\n`;
    case 'ReplicationController':
      return `apiVersion: v1\nkind: ReplicationController\n${objMeta}spec:\n  replicas: 2\n  selector:\n    app: ${name}\n  template:\n${indent(template, 4)}\n`;
    default: {
      const api = kind === 'Job' ? 'batch/v1' : kind === 'Rollout' ? 'argoproj.io/v1alpha1' : kind === 'CloneSet' ? 'apps.kruise.io/v1alpha1' : 'apps/v1';
      const selector = kind === 'Job' ? '' : `  selector:\n    matchLabels:\n      app: ${name}\n`;
      return `apiVersion: ${api}\nkind: ${kind}\n${objMeta}spec:\n${selector}  template:\n${indent(template, 4)}\n`;
    }
  }
}

/**
 * A manifest that walks the engine's common paths: a labelled Namespace, fourteen workloads of
 * every kind with a pod template in every shape of `CASES` (four variants cover them all), a
 * List, the sidecar injector's ConfigMap and one that cannot matter.
 */
export function warmUpText(variant: number): string {
  const docs = ['apiVersion: v1\nkind: Namespace\nmetadata:\n  name: warm\n  labels:\n    istio-injection: enabled\n'];
  for (let i = 0; i < 14; i++) {
    const n = variant * 14 + i;
    docs.push(workload(KINDS[(variant * 3 + i) % KINDS.length]!, n, (variant * 5 + i) % CASES));
  }
  docs.push(
    `apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: listed-${variant}\n  spec:\n    template:\n      metadata:\n        annotations:\n          proxy.istio.io/config: '{"terminationDrainDuration": "40s"}'\n      spec:\n        containers:\n        - name: app\n          image: app:1\n`,
    // The sidecar injector's values: without a lifecycle, with one, and not JSON.
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n  values: '${
      variant % 4 === 0 ? '{"global": {"proxy": {"image": "proxyv2"}}}' : `{"global": {"proxy": {"holdApplicationUntilProxyStarts": true, "lifecycle": {"preStop": {"exec": {"command": ["sleep", "${5 + variant}"]}}}}}${variant % 4 === 1 ? ',' : ''}}`
    }'\n`,
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warm\ndata:\n  key: "value"\n',
  );
  return docs.join('---\n');
}

/** What the runs share: the settings and context they analyse with, and the encoder of their publishes. */
export interface WarmUpState {
  settings: Settings;
  base: AnalysisContext;
  encoder: ReturnType<typeof reusingJsonEncoder>;
}

export function warmUpState(): WarmUpState {
  return { settings: defaultSettings(), base: emptyContext(), encoder: reusingJsonEncoder() };
}

/**
 * One run of the warm-up (`i` counts them): a new text, analysed whole as a file being opened is;
 * one run in two, the runs without an edit, its findings converted and encoded as the server
 * publishes them; the other runs, an edit of it, analysed incrementally as a keystroke is. The
 * whole analyses are what compiles the engine: as many runs that analysed a new text only every
 * other run left the workload file's first analysis at about twice the time. Returns what it
 * made (for tests); may throw.
 */
export function warmUpRun(i: number, state: WarmUpState): { opened: FileResult; published?: Promise<Uint8Array>; edited?: FileResult } {
  const uri = 'untitled:drainguard-warm-up';
  let file = updateOpenFile(undefined, uri, warmUpText(i % 4));
  const opened = analyzeOpenFile(file, state.settings, state.base);
  if (i % 2 === 0) {
    // A publish of more than 32 diagnostics takes the encoder's path for large arrays: the list twice.
    const doc = new ChunkedTextDocument(uri, 'yaml', i, file.text);
    const diagnostics = opened.findings.map((f) => toDiagnostic(doc, f));
    const publish: NotificationMessage = { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params: { uri, version: i, diagnostics: [...diagnostics, ...diagnostics] } };
    return { opened, published: state.encoder.encode(publish) };
  }
  if (i % 4 === 1) {
    const at = file.text.indexOf('serve');
    file = editOpenFile(file, { start: at, end: at + 5, text: 'serve2' }) ?? updateOpenFile(file, uri, file.text.replace('serve', 'serve2'));
  } else {
    // Edited into a document the fast path gives up on (a character after a flow sequence, as
    // typing leaves one): the package's parser, with its error paths, is warmed up too.
    const at = file.text.indexOf('"]') + 2;
    file = editOpenFile(file, { start: at, end: at, text: 'x' }) ?? updateOpenFile(file, uri, file.text.slice(0, at) + 'x' + file.text.slice(at));
  }
  return { opened, edited: analyzeOpenFile(file, state.settings, state.base) };
}

/**
 * Run the warm-up: `runs` runs (of `warmUpRun`), one per turn of the event loop, each only once
 * the server has been quiet for `quietMs` (`sinceActivity()`: milliseconds since it last
 * handled a document), so that neither the first document, which usually arrives right after
 * `initialized`, nor a burst of edits waits for it. Half a second rather than the second it
 * used to be: with 250 runs of ~2–8 ms (the first few 10–70 ms) it is then done about 2.5 s
 * after the server goes quiet. Returns a function that stops it.
 */
export function startWarmUp(sinceActivity: () => number, runs = 250, quietMs = 500, run: (i: number, state: WarmUpState) => unknown = warmUpRun): () => void {
  let stopped = false;
  const state = warmUpState();
  let i = 0;
  const step = (): void => {
    if (stopped || i >= runs) return;
    const quiet = sinceActivity();
    if (quiet < quietMs) {
      setTimeout(step, quietMs - quiet);
      return;
    }
    try {
      run(i, state);
    } catch {
      // A warm-up is an optimisation: it never fails the server.
    }
    i++;
    setImmediate(step);
  };
  setTimeout(step, quietMs);
  return () => {
    stopped = true;
  };
}
