/**
 * The shutdown timeline of one pod in real numbers: when the preStop hooks run, when the
 * proxy stops accepting inbound connections, when the app gets SIGTERM, when the proxy exits
 * and when SIGKILL comes, marking the step that breaks. Shown in hovers.
 */
import { formatDuration } from '../duration';
import type { ValueSource } from '../types';
import type { PodAnalysis } from './effective';

export interface TimelineStep {
  /** Seconds after the pod is deleted; undefined when not known statically. */
  t?: number;
  text: string;
  /** This step is where shutdown goes wrong. */
  broken?: boolean;
}

export interface Timeline {
  mode: 'classic' | 'native' | 'none';
  steps: TimelineStep[];
}

const s = (n: number): string => formatDuration(n);

/** Build the timeline of a pod. `where` names a value's source ("line 18", "Istio default"). */
export function timelineOf(pa: PodAnalysis, where: (src: ValueSource) => string): Timeline {
  const G = pa.grace.value;
  const D = pa.drain.value;
  const steps: TimelineStep[] = [];
  if (!pa.injection.injected) {
    steps.push({ t: 0, text: 'pod deleted: every container runs its preStop hook, then gets SIGTERM' });
    if (G !== undefined) steps.push({ t: G, text: `SIGKILL for anything still running (grace ${G}s: ${where(pa.grace.source)})` });
    return { mode: 'none', steps };
  }
  const apps = pa.apps.map((c) => ({ name: c.name ?? 'app', a: c.preStop?.duration?.seconds, exact: c.preStop?.duration?.exact ?? true, hook: c.preStop !== undefined }));
  if (G === 0) {
    steps.push({ t: 0, text: 'pod deleted with terminationGracePeriodSeconds: 0: every container is killed at once, no preStop hook runs' });
    return { mode: pa.native.value ? 'native' : 'classic', steps };
  }
  const appLines = (t0: number): void => {
    for (const app of apps) {
      if (!app.hook) steps.push({ t: t0, text: `\`${app.name}\` receives SIGTERM` });
      else if (app.a !== undefined) {
        steps.push({ t: t0, text: `\`${app.name}\` starts its ${app.exact ? '' : '≥'}${s(app.a)} preStop hook` });
        steps.push({ t: t0 + app.a, text: `\`${app.name}\` receives SIGTERM${app.exact ? '' : ' (at the earliest)'}` });
      } else {
        steps.push({ t: t0, text: `\`${app.name}\` starts its preStop hook (length unknown)` });
        steps.push({ text: `\`${app.name}\` receives SIGTERM when its preStop hook ends` });
      }
    }
  };
  if (pa.native.value) {
    steps.push({ t: 0, text: `pod deleted; istio-proxy's preStop calls the agent's /drain: inbound listeners drain, outbound keeps working (native sidecar: ${where(pa.native.source)})` });
    appLines(0);
    steps.push({ text: 'after the last app container exits, istio-proxy gets SIGTERM and exits at once' });
    if (G !== undefined) steps.push({ t: G, text: `SIGKILL for anything still running (grace ${G}s: ${where(pa.grace.source)})` });
    return { mode: 'native', steps };
  }
  const P = pa.proxyPreStop.seconds;
  steps.push({ t: 0, text: 'pod deleted: the grace period starts and every container runs its preStop hook' });
  appLines(0);
  let proxyExit: number | undefined;
  if (pa.proxyPreStop.waitsForApp) {
    steps.push({ t: 0, text: "istio-proxy's preStop waits until the app's listening sockets close" });
    steps.push({ text: 'istio-proxy receives SIGTERM when the loop ends; inbound listeners start draining' });
  } else {
    if (pa.proxyPreStop.hook) steps.push({ t: 0, text: `istio-proxy starts its ${pa.proxyPreStop.exact ? '' : '≥'}${s(P)} preStop hook` });
    steps.push({ t: P, text: `istio-proxy receives SIGTERM: inbound listeners stop accepting and drain; outbound still works` });
    if (pa.exitOnZero.value) {
      proxyExit = P + pa.minDrain.value;
      steps.push({
        t: proxyExit,
        text: `istio-proxy may exit once active connections reach zero (EXIT_ON_ZERO_ACTIVE_CONNECTIONS: ${where(pa.exitOnZero.source)}; minimum ${s(pa.minDrain.value)}: ${where(pa.minDrain.source)})`,
      });
    } else if (D !== undefined) {
      proxyExit = P + D;
      steps.push({ t: proxyExit, text: `istio-proxy exits after its ${s(D)} drain (${where(pa.drain.source)})` });
    }
  }
  if (G !== undefined) {
    const late = proxyExit !== undefined && proxyExit > G;
    steps.push({ t: G, text: `SIGKILL for anything still running (grace ${G}s: ${where(pa.grace.source)})${late ? ': Envoy is killed mid-drain' : ''}`, broken: late });
  }
  // Mark the app steps that come after the proxy is gone.
  if (proxyExit !== undefined) {
    for (const st of steps) {
      if (st.t !== undefined && st.t >= proxyExit && /receives SIGTERM/.test(st.text) && st.text.startsWith('`')) {
        st.broken = true;
        st.text += ': the proxy is already gone, so its outbound calls during shutdown fail';
      }
    }
  }
  steps.sort((a, b) => (a.t ?? Infinity) - (b.t ?? Infinity));
  return { mode: 'classic', steps };
}

/** The timeline as a markdown table. */
export function timelineMarkdown(tl: Timeline): string {
  const title = tl.mode === 'native' ? 'native sidecar' : tl.mode === 'classic' ? 'classic sidecar' : 'no sidecar';
  const rows = tl.steps.map((st) => `| ${st.t === undefined ? '?' : s(st.t)} | ${st.broken ? '⚠ ' : ''}${st.text.replace(/\|/g, '\\|')} |`);
  return [`**Shutdown timeline** (${title})`, '', '| t | what happens |', '|---:|---|', ...rows].join('\n');
}
