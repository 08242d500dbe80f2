/**
 * netstat-prestop-hang: an istio-proxy preStop that cannot do what it is meant to: the
 * classic netstat "wait for the app's sockets" loop that never ends because it counts
 * pilot-agent's own listeners, or any shell hook on the distroless proxy image, which has
 * no shell.
 */
import { isMap, isScalar, isSeq, parseDocument, type Scalar } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import { isShellCommand, sleepDuration } from '../model/command';
import type { HookInfo } from '../model/pod-template';
import { compareVersion } from '../settings';
import type { Fix, Range, RelatedValue, TextEdit } from '../types';
import { columnOf, lineStartOf } from '../yaml/edits';
import { pairOf, rangeOf, scalarAt } from '../yaml/nodes';
import { scalarSource, innerEdit } from '../yaml/scalar-source';
import { pairRange, programName } from './lifecycle-helpers';
import type { Rule, RuleContext } from './rule';

/** The loop with pilot-agent filtered out too (#36517). */
export const FIXED_NETSTAT_LOOP = "while [ $(netstat -plunt | grep tcp | egrep -v 'envoy|pilot-agent' | wc -l | xargs) -ne 0 ]; do sleep 1; done";

/** Programs the distroless proxy image does not ship (its base is a static image with pilot-agent and envoy only). */
const NOT_IN_DISTROLESS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'busybox', 'sleep', 'netstat', 'ss', 'curl', 'wget', 'nc', 'grep', 'kill', 'pkill']);

export const netstatPrestopHang: Rule = {
  id: 'netstat-prestop-hang',
  severity: 'warning',
  title: "istio-proxy's preStop cannot work: a netstat loop that never ends, or a shell on a distroless image",
  needs: 'injection',
  docs: {
    why: `A widespread workaround for "Envoy stops before my app" (istio/istio#7136) gives istio-proxy a preStop that waits until the app's listening sockets are gone:

\`while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done\`

Since Istio 1.1, **pilot-agent** (the istio-proxy container's main process) listens on TCP itself, on the status port :15020 (istio-facts.md §11). The hook runs as the same user, so \`netstat -p\` names those sockets \`pilot-agent\`, \`grep -v envoy\` keeps them, and the count never reaches 0. The loop therefore runs until the grace period ends: every pod shutdown takes the full \`terminationGracePeriodSeconds\`, and istio-proxy gets SIGTERM only when the kubelet's 2 s extension starts, so Envoy has about 2 s to drain instead of \`terminationDrainDuration\`. The rule evaluates the loop's grep chain with grep's real syntax (in a basic regular expression \`grep -v "envoy|pilot-agent"\` filters neither; \`egrep\`, \`grep -E\` and \`\\|\` alternate) and fires when pilot-agent's lines survive it.

On the **distroless** proxy image (image tag \`…-distroless\`, annotation \`sidecar.istio.io/proxyImageType: distroless\`, or ProxyConfig \`image.imageType: distroless\`) there is no shell, \`sleep\`, \`netstat\` or \`curl\` at all: any such hook fails at once (event \`FailedPreStopHook\`) and istio-proxy gets SIGTERM immediately, without the wait the hook was written for.

The rule looks at the preStop of an \`istio-proxy\` container declared in the pod template (custom injection, or a dump of an injected pod); the hook itself is the evidence that the pod is meshed. It is silent with \`terminationGracePeriodSeconds: 0\` (hooks do not run) and when the loop uses grep patterns beyond the model.

The same loop is checked where it is set mesh-wide: \`global.proxy.lifecycle\` in the injector ConfigMap's values, an IstioOperator, Sail \`Istio\` or istiod Helm values (every injected pod of that revision inherits it).`,
    fix: `Prefer native sidecars (\`sidecar.istio.io/nativeSidecar: "true"\`, Istio ≥ 1.24 and Kubernetes ≥ 1.29): istio-proxy then stops after the app by construction and needs no preStop. Otherwise:
- netstat loop: filter pilot-agent too. The quick fix rewrites the loop to \`${FIXED_NETSTAT_LOOP}\`, keeping the element's quoting style. It still needs the debug (non-distroless) image.
- distroless: use the kubelet's \`sleep\` action (\`preStop: {sleep: {seconds: N}}\`, Kubernetes ≥ 1.30), which needs no binary, or an \`exec\` of \`pilot-agent request …\` (a Go binary that the image has). When the hook is a plain known sleep, the quick fix replaces the exec handler with the equivalent \`sleep\` action.`,
    versions: 'pilot-agent listens on :15020 since Istio 1.1, so the `grep -v envoy` loop hangs on every Istio release since. The distroless variant is chosen with `values.global.variant`, ProxyConfig `image.imageType` or the `sidecar.istio.io/proxyImageType` annotation. The `sleep` action needs Kubernetes 1.30 (beta) or later.',
    sources: [
      'istio-facts.md §11 (the netstat loop on modern images, distroless), §7 (agent endpoints), §10 (#7136, #36517, #31822), "Derived checks" 7',
      'istio/istio pilot/cmd/pilot-agent/status/server.go (status port listener); docker/iptables.yaml (distroless base)',
    ],
    example: `containers:
  - name: istio-proxy
    image: auto
    lifecycle:
      preStop:
        exec:
          command:
            - /bin/sh
            - -c
            - while [ $(netstat -plunt | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      const proxy = pa.proxyContainer;
      const hook = proxy?.preStop;
      if (!proxy || !hook?.exec || !pa.injection.injected) continue;
      if (hook.handlers.length !== 1 || hook.handlers[0]?.type !== 'exec') continue;
      if (pa.grace.value === 0) continue;
      const distroless = distrolessEvidence(pa);
      const values = hook.exec.command.map((c) => c.value);
      const first = hook.exec.command[0];
      if (distroless && first && first.node.range && (isShellCommand(values) || NOT_IN_DISTROLESS.has(programName(values[0])))) {
        reportDistroless(ctx, pa, hook, values, first.node.range, distroless);
        continue;
      }
      if (hook.netstat && !hook.netstat.excludesPilotAgent && hook.netstat.node.range) reportLoop(ctx, pa, hook);
    }
    // The same loop in a mesh-wide global.proxy.lifecycle (injector values, IstioOperator, Helm).
    for (const m of ctx.mesh) {
      const loop = m.lifecycle?.netstatHangs ? m.lifecycle.loop : undefined;
      if (!loop) continue;
      const w = loop.value.indexOf('while');
      const d = loop.value.lastIndexOf('done');
      const fixes: Fix[] = [];
      if (w >= 0 && d > w) {
        const fixed = JSON.stringify(loop.value.slice(0, w) + FIXED_NETSTAT_LOOP + loop.value.slice(d + 4));
        const e = m.injector?.src ? innerEdit(ctx.text, m.injector.src, loop.inner.start, loop.inner.end, fixed) : { start: loop.range.start, end: loop.range.end, newText: fixed };
        if (e) fixes.push({ title: "Exclude pilot-agent too: egrep -v 'envoy|pilot-agent'", edits: [e], preferred: true });
      }
      ctx.report({
        range: loop.range,
        message: `${m.label}: this mesh-wide istio-proxy preStop waits for every TCP listener except envoy's, but pilot-agent listens on :15020 too, so the loop never ends: every injected pod (revision ${m.revision}) takes its full grace period to stop and Envoy gets about 2 s to drain.`,
        fixes,
      });
    }
  },
};

interface Evidence {
  what: string;
  range?: Range;
}

/** Why the istio-proxy image is the distroless one, if it is. */
function distrolessEvidence(pa: PodAnalysis): Evidence | undefined {
  const proxy = pa.proxyContainer!;
  const imageNode = scalarAt(pa.pod.doc, proxy.node, 'image');
  if (proxy.image !== undefined && proxy.image !== 'auto') {
    // A custom image replaces the injected one: only its own name counts.
    return proxy.image.includes('distroless') ? { what: `image ${proxy.image}`, range: rangeOf(imageNode) } : undefined;
  }
  const typeNode = scalarAt(pa.pod.doc, pa.pod.annotations, 'sidecar.istio.io/proxyImageType');
  if (typeNode && String(typeNode.value) === 'distroless') return { what: 'annotation sidecar.istio.io/proxyImageType: distroless', range: rangeOf(typeNode) };
  const imageAnn = scalarAt(pa.pod.doc, pa.pod.annotations, 'sidecar.istio.io/proxyImage');
  if (imageAnn && typeof imageAnn.value === 'string' && imageAnn.value.includes('distroless')) return { what: `annotation sidecar.istio.io/proxyImage: ${imageAnn.value}`, range: rangeOf(imageAnn) };
  const imageField = pa.proxyConfig?.fields.find((f) => f.key === 'image');
  const inner = imageField?.valueNode.node;
  if (isMap(inner)) {
    const t = pairOf(inner, 'imageType')?.value;
    if (isScalar(t) && t.value === 'distroless') return { what: 'proxy.istio.io/config image.imageType: distroless', range: imageField!.valueNode.range };
  }
  return undefined;
}

function reportDistroless(ctx: RuleContext, pa: PodAnalysis, hook: HookInfo, values: string[], at: [number, number, number], ev: Evidence): void {
  const related: RelatedValue[] = ev.range ? [{ range: ev.range, message: `distroless: ${ev.what}` }] : [];
  const prog = programName(values[0]);
  const what = isShellCommand(values) ? `runs a shell (${prog})` : `runs ${prog}`;
  const message =
    `istio-proxy's preStop ${what}, but istio-proxy uses the distroless image (${ev.what}), which has no shell, sleep, netstat or curl: ` +
    `the hook fails at once and istio-proxy gets SIGTERM immediately, without the wait the hook was meant to give.`;
  const fixes: Fix[] = [];
  const sleepFix = sleepActionEdit(ctx, pa, hook, values);
  if (sleepFix) fixes.push(sleepFix);
  ctx.report({ range: { start: at[0], end: at[1] }, message, related, fixes });
}

/** Replace an exec hook that only sleeps N seconds with the kubelet's `sleep` action (no binary needed). */
function sleepActionEdit(ctx: RuleContext, pa: PodAnalysis, hook: HookInfo, values: string[]): Fix | undefined {
  const k = compareVersion(ctx.settings.kubernetesVersion, 1, 30);
  if (k !== undefined && k < 0) return undefined;
  const d = sleepDuration(values);
  const G = pa.grace.value;
  if (!d || !d.exact || !Number.isInteger(d.seconds) || d.seconds < 1 || G === undefined || d.seconds > G) return undefined;
  const execPair = hook.handlers[0]!.pair;
  const r = pairRange(execPair);
  const value = execPair.value;
  if (!r) return undefined;
  let edit: TextEdit;
  if (isMap(value) && !value.flow) {
    const firstKey = value.items[0]?.key as { range?: [number, number, number] } | undefined;
    const col = firstKey?.range ? columnOf(ctx.text, firstKey.range[0]) : undefined;
    if (col === undefined) return undefined;
    // The block map's range ends after its last line break: keep that break.
    let end = r.end;
    if (ctx.text[end - 1] === '\n') end--;
    if (ctx.text[end - 1] === '\r') end--;
    const eol = ctx.text.includes('\r\n') ? '\r\n' : '\n';
    edit = { start: r.start, end, newText: `sleep:${eol}${' '.repeat(col)}seconds: ${d.seconds}` };
  } else {
    // A JSON manifest (a double-quoted key) stays JSON: kubectl reads it as JSON.
    const json = isScalar(execPair.key) && execPair.key.type === 'QUOTE_DOUBLE';
    edit = { start: r.start, end: r.end, newText: json ? `"sleep": {"seconds": ${d.seconds}}` : `sleep: {seconds: ${d.seconds}}` };
  }
  return { title: `Use the kubelet's sleep action (${d.seconds}s) instead of exec`, edits: [edit], preferred: true };
}

function reportLoop(ctx: RuleContext, pa: PodAnalysis, hook: HookInfo): void {
  const node = hook.netstat!.node;
  const r = node.range!;
  const G = pa.grace.value;
  const graceText = G !== undefined ? `${G}s (${ctx.where(pa.grace.source)})` : 'its value';
  const related: RelatedValue[] = [];
  const graceAt = rangeOf(pa.grace.node);
  if (graceAt) related.push({ range: graceAt, message: `grace period: ${G ?? '?'}s` });
  const message =
    `This netstat loop waits until no TCP listener but Envoy's is left, but it does not filter out pilot-agent, which itself listens on :${pa.statusPort} (the status port) for the pod's whole life, so the loop never ends: ` +
    `every shutdown takes the full grace period of ${graceText}, and Envoy gets only about 2s to drain before SIGKILL.`;
  const fixes: Fix[] = [];
  const e = loopEdit(ctx, node);
  if (e) fixes.push({ title: "Filter pilot-agent too: egrep -v 'envoy|pilot-agent'", edits: [e], preferred: true });
  ctx.report({ range: { start: r[0], end: r[1] }, message, related, fixes });
}

/** The edit that replaces the `while`/`until` … `done` loop around `netstat` with the fixed loop, in the scalar's own style. */
function loopEdit(ctx: RuleContext, node: Scalar): TextEdit | undefined {
  const src = scalarSource(ctx.text, node);
  const s = src.value;
  const ni = s.indexOf('netstat');
  if (ni < 0) return undefined;
  let start = -1;
  const kw = /\b(while|until)\b/g;
  for (let m = kw.exec(s); m && m.index < ni; m = kw.exec(s)) start = m.index;
  if (start < 0) return undefined;
  const done = /\bdone\b/g;
  done.lastIndex = ni;
  const d = done.exec(s);
  if (!d) return undefined;
  const e = innerEdit(ctx.text, src, start, d.index + 4, FIXED_NETSTAT_LOOP);
  if (e) return { start: e.start, end: e.end, newText: e.newText };
  return plainBlockItemEdit(ctx.text, src, start, d.index + 4);
}

/**
 * innerEdit refuses `[`/`]` in plain scalars because it cannot see whether the scalar sits
 * in a flow collection. A one-line plain item of a block sequence (`- while [ ... ]; done`)
 * can hold them, so splice the loop there and check that the item still reads as intended.
 */
function plainBlockItemEdit(text: string, src: ReturnType<typeof scalarSource>, a: number, b: number): TextEdit | undefined {
  if (src.style !== 'PLAIN' || !src.exact) return undefined;
  const { start: outerStart, end: outerEnd } = src.outer;
  if (/[\r\n]/.test(text.slice(outerStart, outerEnd))) return undefined;
  if (!/^[ \t]*-[ \t]+$/.test(text.slice(lineStartOf(text, outerStart), outerStart))) return undefined;
  const start = src.offsets[a];
  const end = src.offsets[b];
  if (start === undefined || end === undefined) return undefined;
  const expected = src.value.slice(0, a) + FIXED_NETSTAT_LOOP + src.value.slice(b);
  const item = '- ' + text.slice(outerStart, start) + FIXED_NETSTAT_LOOP + text.slice(end, outerEnd);
  const doc = parseDocument(item, { prettyErrors: false });
  const seq = doc.contents;
  if (doc.errors.length > 0 || !isSeq(seq) || seq.items.length !== 1) return undefined;
  const only = seq.items[0];
  if (!isScalar(only) || only.type !== 'PLAIN' || only.value !== expected) return undefined;
  return { start, end, newText: FIXED_NETSTAT_LOOP };
}
