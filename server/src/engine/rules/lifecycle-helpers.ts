/**
 * Shared pieces of the lifecycle and Job rules: which containers may carry hooks, how to
 * name a container in a message, and the minimal edits that remove a hook or a whole
 * `lifecycle` block while keeping everything else byte-identical.
 */
import { isScalar, type Node } from 'yaml';
import type { PodAnalysis } from '../model/effective';
import type { ContainerInfo, HookInfo } from '../model/pod-template';
import type { TextEdit } from '../types';
import { removePairLines } from '../yaml/edits';
import type { KeyedPair } from '../yaml/nodes';

/** The two hook names, in the order they are reported. */
export const HOOK_NAMES = ['preStop', 'postStart'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/**
 * Containers whose lifecycle hooks Kubernetes accepts and runs: the regular containers and
 * the restartable (`restartPolicy: Always`) init containers. A plain init container may not
 * carry `lifecycle` at all (`invalid-lifecycle-handler` reports that).
 */
export function hookContainers(pa: PodAnalysis): ContainerInfo[] {
  return [...pa.pod.containers, ...pa.pod.initContainers.filter((c) => c.restartAlways)];
}

/** The hooks a container declares, with their names. */
export function hooksOf(c: ContainerInfo): { name: HookName; hook: HookInfo }[] {
  const out: { name: HookName; hook: HookInfo }[] = [];
  if (c.preStop) out.push({ name: 'preStop', hook: c.preStop });
  if (c.postStart) out.push({ name: 'postStart', hook: c.postStart });
  return out;
}

/** `container "app"`, `init container "istio-proxy"`, `an unnamed container`. */
export function containerLabel(c: ContainerInfo): string {
  const kind = c.init ? 'init container' : 'container';
  return c.name !== undefined ? `${kind} "${c.name}"` : `an unnamed ${kind}`;
}

/** Whether a pair's value is absent or an explicit null (`key:`, `key: ~`): Kubernetes reads that as unset. */
export function isNullValue(pair: KeyedPair | undefined): boolean {
  const v = pair?.value;
  return v === null || v === undefined || (isScalar(v) && v.value === null);
}

/** The range `[key start, value end)` of a pair, for replacing the whole pair. */
export function pairRange(pair: KeyedPair): { start: number; end: number } | undefined {
  const k = pair.key?.range;
  const v = (pair.value as Node | null | undefined)?.range ?? k;
  if (!k || !v) return undefined;
  return { start: k[0], end: Math.max(k[1], v[1]) };
}

/**
 * The edit that removes one hook (`preStop:` or `postStart:` with its handler) from a
 * container. When the hook is the only entry of `lifecycle`, the whole `lifecycle` block
 * goes, so no empty `lifecycle:` is left behind. undefined when the pairs do not sit on
 * lines of their own (flow style, `- lifecycle:` as a sequence item's first key).
 */
export function removeHookEdit(text: string, c: ContainerInfo, hookPair: KeyedPair): TextEdit | undefined {
  const lifecycle = c.lifecycle;
  if (!lifecycle) return undefined;
  if (lifecycle.items.length === 1 && c.lifecyclePair) {
    const whole = removePairLines(text, c.node, c.lifecyclePair);
    if (whole) return whole;
  }
  return removePairLines(text, lifecycle, hookPair);
}

/** The edit that removes a container's whole `lifecycle` block. */
export function removeLifecycleEdit(text: string, c: ContainerInfo): TextEdit | undefined {
  return c.lifecyclePair ? removePairLines(text, c.node, c.lifecyclePair) : undefined;
}

/** The last path segment of a program name (`/bin/sh` → `sh`). */
export function programName(word: string | undefined): string {
  const w = word ?? '';
  const slash = w.lastIndexOf('/');
  return slash < 0 ? w : w.slice(slash + 1);
}
