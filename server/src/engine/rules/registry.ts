/**
 * The rule registry: an explicit list, in the order of the docs. Ids are stable and never
 * reused; docs/rules/ is generated from this list (a test keeps it current).
 */
import { annotationNotString } from './annotation-not-string';
import { appOutlivesSidecar } from './app-outlives-sidecar';
import { conflictingMeshConfig } from './conflicting-mesh-config';
import { defaultDrainTooShort } from './default-drain-too-short';
import { deprecatedInjectAnnotation } from './deprecated-inject-annotation';
import { drainExceedsGrace } from './drain-exceeds-grace';
import { drainSettingIgnored } from './drain-setting-ignored';
import { injectorNoPrestop } from './injector-no-prestop';
import { injectorValuesInvalid } from './injector-values-invalid';
import { invalidDuration } from './invalid-duration';
import { invalidLifecycleHandler } from './invalid-lifecycle-handler';
import { invalidProxyConfig } from './invalid-proxy-config';
import { jobSidecarBlocksCompletion } from './job-sidecar-blocks-completion';
import { lifecycleDisablesHold } from './lifecycle-disables-hold';
import { misplacedAnnotation } from './misplaced-annotation';
import { nativeSidecarLifecycleOverride } from './native-sidecar-lifecycle-override';
import { netstatPrestopHang } from './netstat-prestop-hang';
import { nonPositiveDrain } from './non-positive-drain';
import { prestopExceedsGrace } from './prestop-exceeds-grace';
import { prestopSleepInvalid } from './prestop-sleep-invalid';
import type { Rule } from './rule';
import { unknownProxyConfigField } from './unknown-proxy-config-field';
import { unsupportedForIstioVersion } from './unsupported-for-istio-version';

export const RULES: readonly Rule[] = [
  // Pod shutdown timing.
  drainExceedsGrace,
  appOutlivesSidecar,
  defaultDrainTooShort,
  // The proxy.istio.io/config annotation and Kubernetes metadata.
  misplacedAnnotation,
  annotationNotString,
  invalidProxyConfig,
  invalidDuration,
  unknownProxyConfigField,
  nonPositiveDrain,
  // Lifecycle hooks.
  prestopSleepInvalid,
  prestopExceedsGrace,
  invalidLifecycleHandler,
  netstatPrestopHang,
  nativeSidecarLifecycleOverride,
  drainSettingIgnored,
  jobSidecarBlocksCompletion,
  deprecatedInjectAnnotation,
  unsupportedForIstioVersion,
  // Mesh-wide configuration (IstioOperator, injector and mesh ConfigMaps, Helm values).
  injectorValuesInvalid,
  injectorNoPrestop,
  lifecycleDisablesHold,
  conflictingMeshConfig,
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

/** The rule with this id. */
export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
