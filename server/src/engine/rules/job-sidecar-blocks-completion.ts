/**
 * job-sidecar-blocks-completion: a Job or CronJob whose pod gets a classic istio-proxy
 * sidecar and has no way to stop it, so the pod never completes.
 */
import { callsAgentQuit } from '../model/command';
import type { PodAnalysis } from '../model/effective';
import { compareVersion } from '../settings';
import type { Fix, RelatedValue } from '../types';
import { keyRange, scalarAt } from '../yaml/nodes';
import { edits, nativeSidecarEdit, podAnnotationEdit, podLabelEdit } from './fixes';
import { programName } from './lifecycle-helpers';
import type { Rule, RuleContext } from './rule';

export const jobSidecarBlocksCompletion: Rule = {
  id: 'job-sidecar-blocks-completion',
  severity: 'warning',
  title: 'A Job with a classic sidecar never completes',
  needs: 'injection',
  docs: {
    why: `A Job's pod completes when **all** its containers have exited. A classic (non-native) istio-proxy is an ordinary container that runs until it is told to stop, so when the Job's own containers finish, istio-proxy keeps running: the pod stays \`Running\`, the Job never reaches \`Complete\`, CronJob runs pile up (or are skipped under \`concurrencyPolicy: Forbid\`), and the pod holds its resources until someone deletes it (istio/istio#6324, #11045, #11659).

Nothing stops the sidecar by itself:
- \`EXIT_ON_ZERO_ACTIVE_CONNECTIONS\` acts only after SIGTERM, and nobody sends SIGTERM to a pod whose Job is still running;
- Envoy's own admin \`POST localhost:15000/quitquitquit\` stops Envoy but not pilot-agent, so the container keeps running.

The rule fires for a Job or CronJob pod with injection evidence, a classic sidecar (no native mode) and no exit path in any container's \`command\`/\`args\`: a POST to the agent's \`http://localhost:<status port>/quitquitquit\` (curl, wget; \`sh -c\` scripts and \`trap … EXIT\` included), \`pilot-agent request POST quitquitquit\`, or \`scuttle\` with \`ISTIO_QUIT_API\` set. The status port comes from \`status.sidecar.istio.io/port\` (default 15020). A container that runs an opaque script or binary may still call the endpoint; suppress the finding for it. Gateways are not checked.`,
    fix: `Preferred: run the sidecar as a Kubernetes native sidecar, with the pod annotation \`sidecar.istio.io/nativeSidecar: "true"\` (Istio ≥ 1.24 for the annotation, Kubernetes ≥ 1.29; or mesh-wide \`ENABLE_NATIVE_SIDECARS\`). A native sidecar does not keep a pod alive: the kubelet stops it when the Job's containers have exited, and the Job keeps its mesh identity and mTLS. The quick fix is offered unless the configured \`istioVersion\`/\`kubernetesVersion\` is too old.

Otherwise, end the main command with \`curl -fsS -X POST http://localhost:15020/quitquitquit\` (for example from a \`trap … EXIT\` so it also runs on failure), or opt the pod out of the mesh with the label \`sidecar.istio.io/inject: "false"\` (the second quick fix; it also flips a \`sidecar.istio.io/inject\` annotation). Opting out drops mTLS: it breaks the Job's calls to services that require STRICT mTLS, so it is never applied automatically.`,
    versions: '`/quitquitquit` on the agent: Istio 1.3+. Native sidecars: Istio 1.19+ with `ENABLE_NATIVE_SIDECARS`, the per-pod annotation from Istio 1.24; Kubernetes 1.28 alpha, 1.29 beta (on by default), 1.33 GA.',
    sources: [
      'istio-facts.md §10 (#6324, #11045/#11659 Jobs), §7 (agent endpoints: quitquitquit on the status port, status port annotation), §4 (native sidecars), §11 (recommendation 3)',
      'corpus NOTES.md §7.6 (admiral Job with a sidecar and no exit path)',
      'Kubernetes KEP-753 (sidecar containers and Jobs)',
    ],
    example: `apiVersion: batch/v1
kind: Job
spec:
  template:
    metadata:
      labels:
        sidecar.istio.io/inject: "true"
    spec:
      containers:
        - name: pi
          command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]
      restartPolicy: Never`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      if (!pa.pod.isJob || !pa.injection.injected || pa.native.value || pa.gateway) continue;
      if (pa.apps.length === 0 || hasExitPath(pa)) continue;
      report(ctx, pa);
    }
  },
};

function hasExitPath(pa: PodAnalysis): boolean {
  for (const c of pa.apps) {
    if (callsAgentQuit(c.commandLine, pa.statusPort)) return true;
    if (c.commandLine.some((s) => exitTrapBodies(s).some((body) => callsAgentQuit([body], pa.statusPort)))) return true;
    // scuttle (a common entrypoint wrapper) POSTs the agent's quitquitquit when ISTIO_QUIT_API is set.
    if (c.commandLine.some((w) => programName(w) === 'scuttle') && c.env.has('ISTIO_QUIT_API')) return true;
  }
  return false;
}

/**
 * The bodies of `trap "<body>" EXIT` (or `0`) in a shell script. The shared command model
 * reads a quoted trap body as one word, so the calls inside it are looked at here.
 */
export function exitTrapBodies(script: string): string[] {
  const out: string[] = [];
  if (!script.includes('trap')) return out;
  const re = /(?:^|[\s;&|(])trap\s+(?:--\s+)?(?:"((?:[^"\\]|\\[\s\S])*)"|'([^']*)')\s+([A-Za-z0-9 \t]+)/g;
  for (let m = re.exec(script); m; m = re.exec(script)) {
    const signals = (m[3] ?? '').trim().split(/\s+/);
    if (!signals.some((s) => s === 'EXIT' || s === '0' || s === 'SIGEXIT')) continue;
    const body = m[1] !== undefined ? m[1].replace(/\\([$`"\\\n])/g, '$1') : (m[2] ?? '');
    out.push(body);
  }
  return out;
}

function report(ctx: RuleContext, pa: PodAnalysis): void {
  const at = keyRange(pa.pod.specPair);
  if (!at) return;
  const related: RelatedValue[] = [];
  const src = pa.injection.source;
  if (src?.kind === 'file' && src.uri === ctx.uri) related.push({ range: src.range, message: `sidecar injected: ${pa.injection.reason}` });
  const kind = pa.pod.object.kind ?? 'Job';
  const exitNote = pa.exitOnZero.value
    ? ' EXIT_ON_ZERO_ACTIVE_CONNECTIONS does not help: it acts only after SIGTERM, which a running Job never gets.'
    : '';
  const message =
    `This ${kind}'s pod gets a classic istio-proxy sidecar (${pa.injection.reason}${src?.kind === 'file' ? `, ${ctx.where(src)}` : ''}), and no container POSTs to the agent's localhost:${pa.statusPort}/quitquitquit: ` +
    `when the job's containers exit, istio-proxy keeps running, so the pod never completes and the Job never finishes.${exitNote}`;
  ctx.report({ range: at, message, related, fixes: fixesFor(ctx, pa) });
}

function fixesFor(ctx: RuleContext, pa: PodAnalysis): Fix[] {
  const fixes: Fix[] = [];
  const istio = compareVersion(ctx.settings.istioVersion, 1, 24);
  const k8s = compareVersion(ctx.settings.kubernetesVersion, 1, 29);
  if ((istio === undefined || istio >= 0) && (k8s === undefined || k8s >= 0)) {
    const e = nativeSidecarEdit(ctx.text, pa);
    if (e) fixes.push({ title: 'Run istio-proxy as a native sidecar (sidecar.istio.io/nativeSidecar: "true")', edits: [e], preferred: true });
  }
  const label = podLabelEdit(ctx.text, pa, 'sidecar.istio.io/inject', '"false"');
  const ann = scalarAt(pa.pod.doc, pa.pod.annotations, 'sidecar.istio.io/inject');
  const annEdit = ann && ann.value !== 'false' ? podAnnotationEdit(ctx.text, pa, 'sidecar.istio.io/inject', '"false"') : undefined;
  const es = ann && ann.value !== 'false' ? edits(label, annEdit) : edits(label);
  if (es) fixes.push({ title: 'Opt the pod out of injection (label sidecar.istio.io/inject: "false")', edits: es });
  return fixes;
}
