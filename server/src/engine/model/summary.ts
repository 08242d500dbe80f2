/**
 * One-line summaries of a pod's effective shutdown values with their sources, for the CLI's
 * text output (and hovers).
 */
import { formatDuration } from '../duration';
import type { ValueSource } from '../types';
import type { PodAnalysis } from './effective';

/** "grace 30s (Kubernetes default), drain 45s (line 12), classic sidecar (Istio default), ..." */
export function podSummary(pa: PodAnalysis, where: (s: ValueSource) => string): string {
  const parts: string[] = [];
  parts.push(`grace ${pa.grace.value === undefined ? 'unknown' : `${pa.grace.value}s`} (${where(pa.grace.source)})`);
  parts.push(`drain ${pa.drain.value === undefined ? 'unknown' : formatDuration(pa.drain.value)} (${where(pa.drain.source)})`);
  parts.push(`${pa.native.value ? 'native' : 'classic'} sidecar (${where(pa.native.source)})`);
  if (pa.exitOnZero.value) parts.push(`EXIT_ON_ZERO_ACTIVE_CONNECTIONS on (${where(pa.exitOnZero.source)}), minimum drain ${formatDuration(pa.minDrain.value)}`);
  if (pa.proxyPreStop.hook) parts.push(`istio-proxy preStop ${pa.proxyPreStop.waitsForApp ? 'waits for the app' : `${pa.proxyPreStop.exact ? '' : '≥'}${formatDuration(pa.proxyPreStop.seconds)}`}`);
  parts.push(pa.injection.injected ? `injected (${pa.injection.reason})` : `not injected (${pa.injection.reason})`);
  return parts.join(', ');
}
