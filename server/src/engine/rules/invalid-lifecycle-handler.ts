/**
 * invalid-lifecycle-handler: a lifecycle hook Kubernetes rejects (no handler type, several
 * handler types, `lifecycle` on a plain init container) or accepts but can never run
 * (`tcpSocket`).
 */
import type { PodAnalysis } from '../model/effective';
import type { ContainerInfo, HookInfo } from '../model/pod-template';
import type { Fix, TextEdit } from '../types';
import { removePairLines } from '../yaml/edits';
import { keyOf, keyRange, pairOf } from '../yaml/nodes';
import { containerLabel, hooksOf, isNullValue, removeHookEdit, removeLifecycleEdit, type HookName } from './lifecycle-helpers';
import type { Rule, RuleContext } from './rule';

export const invalidLifecycleHandler: Rule = {
  id: 'invalid-lifecycle-handler',
  severity: 'error',
  title: 'A lifecycle hook has no valid handler',
  needs: 'kubernetes',
  docs: {
    why: `A \`preStop\` or \`postStart\` hook must name exactly one handler type: \`exec\`, \`httpGet\` or \`sleep\`. This matters for shutdown ordering because the preStop hook is what holds a container (the app, or istio-proxy) back from SIGTERM; a hook that is rejected or cannot run gives no delay at all.

The rule reports:
- **No handler type** (\`preStop: {}\`, or \`command:\` written directly under \`preStop:\` without \`exec:\`): the API server rejects the object with "must specify a handler type".
- **Several handler types** (\`exec\` and \`sleep\` in the same hook): rejected with "may not specify more than 1 handler type".
- **\`tcpSocket\`**: deprecated and "NOT supported as a LifecycleHandler". The API server still accepts it for backward compatibility, so nothing fails at apply time, but the kubelet cannot run it: a preStop fails at once (event \`FailedPreStopHook\`) and the container gets SIGTERM without the intended wait; a postStart fails (\`FailedPostStartHook\`) and the kubelet kills the container, which then restarts per its restart policy. It is reported at error level because the hook can never work.
- **\`lifecycle\` on a plain init container** (no \`restartPolicy: Always\`): rejected with "may not be set for init containers without restartPolicy=Always". Hooks are allowed only on regular containers and native sidecars.

Validation runs on pod templates too, so a Deployment, Job or CronJob with a rejected hook cannot be applied at all. A custom \`istio-proxy\` container in an injected pod is a strategic-merge patch over the injected container, so an empty hook there is not reported (it merges into nothing); several handlers and \`tcpSocket\` still are. Hooks whose map holds strategic-merge directives (\`$patch\`) are skipped.`,
    fix: `Keep one handler. With several, the quick fixes offer "keep only X" for each (the one that drops \`tcpSocket\` is preferred, since \`tcpSocket\` never runs); otherwise choose by intent. For \`tcpSocket\`, decide what the hook should do (usually a \`sleep: {seconds: N}\` delay, or an \`exec\`) — the quick fix only removes the hook, because any replacement would guess a duration; removing it keeps today's effective behaviour. On a plain init container, remove \`lifecycle\` (the quick fix), or make the container a native sidecar with \`restartPolicy: Always\` if that is what it is.`,
    versions: 'All Kubernetes versions. `sleep` handlers need Kubernetes 1.30 (beta, on by default; alpha in 1.29). `lifecycle` on init containers is allowed only with `restartPolicy: Always` (native sidecars, beta and on by default from 1.29).',
    sources: [
      'istio-facts.md §8 (handler types, lifecycle on init containers), §6 (custom injection is a strategic merge)',
      'kubernetes/api core/v1/types.go (`LifecycleHandler`: "TCPSocket is NOT supported as a LifecycleHandler")',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go (`validateHandler`, `validateInitContainers`); pkg/kubelet/lifecycle/handlers.go (`Run`)',
    ],
    example: `containers:
  - name: app
    lifecycle:
      preStop:
        exec:
          command: ["sleep", "5"]
        sleep:            # a second handler type: rejected
          seconds: 5`,
  },
  check(ctx: RuleContext): void {
    for (const pa of ctx.pods) {
      for (const c of [...pa.pod.containers, ...pa.pod.initContainers]) {
        if (c.init && !c.restartAlways) {
          checkPlainInit(ctx, pa, c);
          continue;
        }
        for (const { name, hook } of hooksOf(c)) checkHook(ctx, pa, c, name, hook);
      }
    }
  },
};

function checkPlainInit(ctx: RuleContext, pa: PodAnalysis, c: ContainerInfo): void {
  const pair = c.lifecyclePair;
  if (!pair || isNullValue(pair)) return;
  // A custom istio-proxy in an injected pod is merged onto the injected (native) sidecar, which has restartPolicy: Always.
  if (c === pa.proxyContainer && pa.injection.injected) return;
  const at = keyRange(pair);
  if (!at) return;
  const kind = pa.pod.object.kind ?? 'object';
  const rm = removeLifecycleEdit(ctx.text, c);
  ctx.report({
    range: at,
    message: `${cap(containerLabel(c))} has no restartPolicy: Always, and Kubernetes rejects lifecycle hooks on such init containers ("may not be set for init containers without restartPolicy=Always"): the ${kind} cannot be applied.`,
    fixes: rm ? [{ title: 'Remove the lifecycle block', edits: [rm] }] : [],
  });
}

function checkHook(ctx: RuleContext, pa: PodAnalysis, c: ContainerInfo, name: HookName, hook: HookInfo): void {
  const map = hook.node;
  if (!map) return; // `preStop:` with no value is unset; a non-map value is a decoding error, not ours.
  if (map.items.some((p) => (keyOf(p) ?? '').startsWith('$'))) return;
  const kind = pa.pod.object.kind ?? 'object';
  const who = containerLabel(c);
  const handlers = hook.handlers;

  if (handlers.length === 0) {
    if (c === pa.proxyContainer && pa.injection.injected) return;
    const at = keyRange(hook.pair);
    if (!at) return;
    const hint = pairOf(map, 'command') ? ' The `command` key belongs under `exec:`.' : '';
    ctx.report({
      range: at,
      message: `The ${name} hook of ${who} has no handler type (exec, httpGet or sleep): Kubernetes rejects it ("must specify a handler type"), so the ${kind} cannot be applied.${hint}`,
    });
    return;
  }

  if (handlers.length > 1) {
    const first = handlers[0]!;
    const extra = handlers[1]!;
    const at = keyRange(extra.pair);
    const firstAt = keyRange(first.pair);
    if (!at) return;
    const types = handlers.map((h) => h.type);
    const fixes: Fix[] = [];
    const onlyTcpExtra = types.filter((t) => t === 'tcpSocket').length === 1 && types.length === 2;
    for (const keep of handlers) {
      // Keeping only a tcpSocket handler leaves a hook the kubelet cannot run: this rule would
      // report it again (found by the fuzzer). The other handlers are the ways out.
      if (keep.type === 'tcpSocket') continue;
      const edits: TextEdit[] = [];
      for (const h of handlers) {
        if (h === keep) continue;
        const e = removePairLines(ctx.text, map, h.pair);
        if (e) edits.push(e);
      }
      if (edits.length !== handlers.length - 1) continue;
      fixes.push({ title: `Keep only the ${keep.type} handler`, edits, preferred: onlyTcpExtra && keep.type !== 'tcpSocket' });
    }
    ctx.report({
      range: at,
      message: `The ${name} hook of ${who} has ${handlers.length} handler types (${types.join(', ')}): Kubernetes rejects it ("may not specify more than 1 handler type"), so the ${kind} cannot be applied.`,
      related: firstAt ? [{ range: firstAt, message: `first handler: ${first.type}` }] : [],
      fixes,
    });
    return;
  }

  const only = handlers[0]!;
  if (only.type !== 'tcpSocket') return;
  const at = keyRange(only.pair);
  if (!at) return;
  const effect =
    name === 'preStop'
      ? 'the preStop fails at once (FailedPreStopHook) and the container gets SIGTERM without any wait'
      : 'the postStart fails (FailedPostStartHook) and the kubelet kills the container, which then restarts per its restart policy';
  const rm = removeHookEdit(ctx.text, c, hook.pair);
  ctx.report({
    range: at,
    message: `tcpSocket is not supported as a lifecycle handler (${who}, ${name}): the API server accepts it for compatibility, but the kubelet cannot run it, so ${effect}.`,
    fixes: rm ? [{ title: `Remove the ${name} hook (tcpSocket never runs)`, edits: [rm] }] : [],
  });
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
