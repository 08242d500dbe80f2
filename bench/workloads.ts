/**
 * A deterministic generator of workload-heavy manifests: `workloads` Istio-annotated workloads of
 * every kind with a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
 * Pod, PodTemplate, Argo Rollout, Knative Service), after one labelled Namespace. Every
 * document matters to Drainguard, so nothing can be skipped: the worst case for its analysis. About one workload in six carries a shutdown mistake (a drain longer than
 * the grace period, an unquoted annotation, a number for a duration, a preStop past the grace
 * period, a pod annotation on the workload), as hand-written manifests do.
 *
 * `node out/bench/workloads.js [workloads]` prints one (2,000 workloads: about 60,000 lines).
 */

/** A small seeded PRNG (LCG), so the same arguments always give the same text. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

const KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'PodTemplate', 'Rollout', 'KnativeService'] as const;

/** The manifest for `workloads` workloads (names numbered from 1). */
export function workloadManifest(workloads: number, seed = 2024): string {
  const r = rng(seed);
  const out: string[] = ['apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n'];
  for (let i = 1; i <= workloads; i++) {
    const name = `svc-${String(i).padStart(5, '0')}`;
    const kind = KINDS[i % KINDS.length]!;
    const mistake = r(6) === 0 ? r(5) : -1;
    const grace = [30, 45, 60, 20][r(4)]!;
    const drain = mistake === 0 ? grace + 15 : [5, 10, 15][r(3)]!;
    // Without the mistake, the app's preStop ends before the proxy's drain does (app-outlives-sidecar stays quiet).
    const sleep = mistake === 3 ? grace + 10 : [0, drain - 5][r(2)]!;
    const native = r(8) === 0;
    const job = kind === 'Job' || kind === 'CronJob';
    const ann: string[] = [];
    if (mistake === 1) ann.push(`sidecar.istio.io/nativeSidecar: ${native ? 'true' : 'false'}`);
    else if (native) ann.push('sidecar.istio.io/nativeSidecar: "true"');
    if (mistake === 2) ann.push(`proxy.istio.io/config: |\n  terminationDrainDuration: ${drain}`);
    // A native sidecar does not use a drain duration (drain-setting-ignored): none is written.
    else if (native) ann.push(`proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'`);
    else if (r(3) === 0) ann.push(`proxy.istio.io/config: '{"terminationDrainDuration": "${drain}s", "holdApplicationUntilProxyStarts": true}'`);
    else ann.push(`proxy.istio.io/config: |\n  terminationDrainDuration: ${drain}s\n  proxyMetadata:\n    EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "false"`);
    if (r(100) === 0) ann.push('drainguard/ignore: "drain-exceeds-grace"');
    const podMeta = [
      'metadata:',
      '  labels:',
      `    app: ${name}`,
      `    version: v${1 + r(3)}`,
      // Jobs opt out of the mesh, as they usually do (a classic sidecar would keep them running).
      ...(job ? ['    sidecar.istio.io/inject: "false"'] : r(2) === 0 ? ['    sidecar.istio.io/inject: "true"'] : []),
      '  annotations:',
      ...ann.flatMap((a) => a.split('\n').map((l) => `    ${l}`)),
    ];
    const preStop = sleep > 0 ? ['    lifecycle:', '      preStop:', '        exec:', `          command: ["sh", "-c", "sleep ${sleep}"]`] : [];
    const podSpec = [
      'spec:',
      ...(kind === 'KnativeService' ? [] : [`  terminationGracePeriodSeconds: ${grace}`]),
      ...(job ? ['  restartPolicy: OnFailure'] : []),
      '  containers:',
      '  - name: app',
      `    image: registry.example.com/shop/${name}:1.${r(20)}.${r(10)}`,
      '    ports:',
      `    - containerPort: ${8000 + r(100)}`,
      ...preStop,
      '    resources:',
      `      requests: {cpu: ${50 * (1 + r(8))}m, memory: ${64 * (1 + r(8))}Mi}`,
    ];
    const indent = (lines: string[], n: number): string => lines.map((l) => ' '.repeat(n) + l).join('\n');
    const objMeta = `metadata:\n  name: ${name}\n  namespace: shop\n  labels:\n    app: ${name}\n${mistake === 4 ? '  annotations:\n    proxy.istio.io/config: |\n      terminationDrainDuration: 10s\n' : ''}`;
    const template = `${indent(podMeta, 0)}\n${indent(podSpec, 0)}`;
    let doc: string;
    switch (kind) {
      case 'Pod':
        doc = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: shop\n${indent(podMeta.slice(1), 0)}\n${indent(podSpec, 0)}`;
        break;
      case 'PodTemplate':
        doc = `apiVersion: v1\nkind: PodTemplate\n${objMeta}template:\n${indent(template.split('\n'), 2)}`;
        break;
      case 'CronJob':
        doc = `apiVersion: batch/v1\nkind: CronJob\n${objMeta}spec:\n  schedule: "*/${5 + r(50)} * * * *"\n  jobTemplate:\n    spec:\n      template:\n${indent(template.split('\n'), 8)}`;
        break;
      case 'KnativeService':
        doc = `apiVersion: serving.knative.dev/v1\nkind: Service\n${objMeta}spec:\n  template:\n${indent(template.split('\n'), 4)}`;
        break;
      default: {
        const api = kind === 'Job' ? 'batch/v1' : kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1';
        const extra = kind === 'StatefulSet' ? `  serviceName: ${name}\n` : kind === 'Rollout' ? '  strategy:\n    canary:\n      steps:\n      - setWeight: 20\n' : kind === 'Job' ? '  backoffLimit: 3\n' : `  replicas: ${1 + r(4)}\n`;
        const selector = kind === 'Job' ? '' : `  selector:\n    matchLabels:\n      app: ${name}\n`;
        doc = `apiVersion: ${api}\nkind: ${kind}\n${objMeta}spec:\n${extra}${selector}  template:\n${indent(template.split('\n'), 4)}`;
      }
    }
    out.push(doc.endsWith('\n') ? doc : `${doc}\n`);
  }
  return out.join('---\n');
}

if (require.main === module) process.stdout.write(workloadManifest(Number(process.argv[2] ?? 2000)));
