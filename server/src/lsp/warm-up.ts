/**
 * Warming up the engine while the server is idle. Node compiles the YAML parser and the
 * engine's code lazily and optimises it only after many runs, so a large file analysed by a
 * server that has just started takes several times as long as the same file a little later
 * (measured on the Argo CD install manifest: ~240 ms against ~50 ms of analysis). Right after
 * `initialized` (once it has had nothing to do for a second), the server therefore analyses a
 * built-in manifest of a dozen workloads (17 KB, every document of it read by the fast path,
 * `yaml/fast-parse.ts`, as real manifests are) a few hundred times, opened and edited in turn
 * (the edit as the language server makes it: `editOpenFile`; one edit in two leaves a YAML
 * error, so that the package's parser is compiled too), one run per turn of the event
 * loop: a request that arrives meanwhile waits for at most one run (tens of milliseconds for the
 * first runs, a few after that). A manifest of six short workloads left the Argo CD install's
 * open at ~150 ms; twelve, with what real pod specs hold, bring it to ~110 ms. The 62k-line
 * workload manifest's first analysis after 40 runs took ~390 ms, after 300 runs ~190 ms (100 ms
 * once everything is compiled). It reads no file and reports nothing; about a second and a half
 * of CPU once per server start.
 */
import { analyzeOpenFile, editOpenFile, updateOpenFile, type OpenFile } from '../engine/incremental';
import { emptyContext } from '../engine/model/effective';
import { defaultSettings } from '../engine/settings';

/** A manifest that walks the engine's common paths: workloads of several kinds, both annotation styles, hooks, env, args, probes, volumes, a finding or two. */
export function warmUpText(variant: number): string {
  const docs: string[] = [];
  for (let i = 0; i < 12; i++) {
    const n = variant * 12 + i;
    const kind = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Rollout', 'Deployment'][i % 6]!;
    const config =
      i % 2 === 0
        ? `        proxy.istio.io/config: |\n          terminationDrainDuration: ${5 + (n % 4) * 10}s\n          proxyMetadata:\n            EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "false"\n`
        : `        proxy.istio.io/config: '{"terminationDrainDuration": "${10 + (n % 3) * 15}s", "holdApplicationUntilProxyStarts": true}'\n`;
    docs.push(
      `apiVersion: ${kind === 'Job' ? 'batch/v1' : kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1'}\nkind: ${kind}\nmetadata:\n  name: warm-${n}\n  namespace: warm\n  labels:\n    app: warm-${n}\n` +
        `spec:\n  selector:\n    matchLabels:\n      app: warm-${n}\n  template:\n    metadata:\n      labels:\n        app: warm-${n}\n        sidecar.istio.io/inject: "${kind === 'Job' ? 'false' : 'true'}"\n      annotations:\n${config}` +
        `    spec:\n      terminationGracePeriodSeconds: ${[30, 45, 20][n % 3]}\n      containers:\n      - name: app\n        image: registry.example.com/warm/app:1.${n}\n        env:\n        - name: MODE\n          value: "serve"\n        - name: TOKEN\n          valueFrom: {secretKeyRef: {name: warm, key: token}}\n` +
        `        ports:\n        - containerPort: 8080\n          name: http\n        lifecycle:\n          preStop:\n            exec:\n              command: ["sh", "-c", "sleep ${[5, 10, 40][n % 3]}"]\n        resources: {requests: {cpu: 100m, memory: 128Mi}}\n` +
        // What the rest of a real pod spec holds (the Argo CD install's Deployments are mostly this): args, probes, mounts, volumes, a comment.
        `        args:\n        - /usr/local/bin/app\n        - --port=8080\n        - --log-level\n        - 'info'\n        readinessProbe:\n          httpGet:\n            path: /healthz\n            port: 8080\n          initialDelaySeconds: 5\n` +
        `        securityContext:\n          allowPrivilegeEscalation: false\n          capabilities:\n            drop:\n            - ALL\n        volumeMounts:\n        - mountPath: /tmp # scratch\n          name: tmp\n      volumes:\n      - emptyDir: {}\n        name: tmp\n      - configMap:\n          name: warm-${n}\n        name: config\n`,
    );
  }
  docs.push('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warm\ndata:\n  key: "value"\n');
  return docs.join('---\n');
}

/**
 * Run the warm-up: `runs` analyses (a fresh text, then an edit of it, in turn), one per turn of
 * the event loop, each only once the server has been quiet for `quietMs` (`sinceActivity()`:
 * milliseconds since it last handled a document), so that neither the first document, which
 * usually arrives right after `initialized`, nor a burst of edits waits for it. Returns a
 * function that stops it.
 */
export function startWarmUp(sinceActivity: () => number, runs = 300, quietMs = 1000): () => void {
  let stopped = false;
  const settings = defaultSettings();
  const base = emptyContext();
  let file: OpenFile | undefined;
  let i = 0;
  const step = (): void => {
    if (stopped || i >= runs) return;
    const quiet = sinceActivity();
    if (quiet < quietMs) {
      setTimeout(step, quietMs - quiet);
      return;
    }
    try {
      const uri = 'untitled:drainguard-warm-up';
      if (i % 2 === 0 || !file) file = updateOpenFile(undefined, uri, warmUpText(i % 4));
      else if (i % 4 === 1) {
        // The file of the run before, edited.
        const at = file.text.indexOf('serve');
        file = editOpenFile(file, { start: at, end: at + 5, text: 'serve2' }) ?? updateOpenFile(file, uri, file.text.replace('serve', 'serve2'));
      } else {
        // Edited into a document the fast path gives up on (a character after a flow sequence, as
        // typing leaves one): the package's parser, with its error paths, is warmed up too.
        const at = file.text.indexOf('"]') + 2;
        file = editOpenFile(file, { start: at, end: at, text: 'x' }) ?? updateOpenFile(file, uri, file.text.slice(0, at) + 'x' + file.text.slice(at));
      }
      analyzeOpenFile(file, settings, base);
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
