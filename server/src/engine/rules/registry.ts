/**
 * The rule registry: an explicit list, in the order of the docs. Ids are stable and never
 * reused; docs/rules/ is generated from this list (a test keeps it current).
 */
import { annotationNotString } from './annotation-not-string';
import { drainExceedsGrace } from './drain-exceeds-grace';
import { invalidDuration } from './invalid-duration';
import type { Rule } from './rule';

export const RULES: readonly Rule[] = [drainExceedsGrace, annotationNotString, invalidDuration];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

/** The rule with this id. */
export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
