/**
 * The engine's public data types. Everything here is plain data: offsets into the
 * file's text (UTF-16 code units, as JavaScript strings count them), never line/column
 * pairs. Conversion to lines and columns happens once, at the edge (CLI or LSP layer).
 */

/** How loud a finding is. `hint` findings may carry the `unnecessary` tag. */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Half-open offset range `[start, end)` into one file's text. */
export interface Range {
  start: number;
  end: number;
}

/** Replace `[start, end)` of a file's text with `newText`. `uri` names another file (cross-file fixes). */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
  uri?: string;
  /** For an edit of another file: `textHash` of the text the offsets were computed on (stale text must not be edited). */
  sourceHash?: string;
}

/** One way to make a finding go away. A finding owns its fixes: they are never matched by message. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix that `--fix`, `source.fixAll` and "preferred" quick fixes apply. At most one per finding. */
  preferred?: boolean;
}

/** Another value involved in a finding (the grace period for a drain finding, and so on). */
export interface RelatedValue {
  range: Range;
  message: string;
  /** Another file, when the value lives elsewhere. Absent: the finding's own file. */
  uri?: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** The one value the finding is about. */
  range: Range;
  message: string;
  related: RelatedValue[];
  fixes: Fix[];
  tags?: 'unnecessary'[];
}

/**
 * Where an effective value comes from. `file` sources carry a range in a file;
 * the others name the default or setting that supplied the value.
 */
export type ValueSource =
  | { kind: 'file'; uri: string; range: Range; label?: string; /** 1-based line, for values in other files. */ line?: number }
  | { kind: 'istio-default' }
  | { kind: 'kubernetes-default' }
  | { kind: 'controller-default'; detail: string }
  | { kind: 'setting'; name: string }
  | { kind: 'unknown'; detail: string };

/** A value together with where it came from. */
export interface Sourced<T> {
  value: T;
  source: ValueSource;
}

/** A note about the input that is not a finding (a document that does not parse, a skipped file). */
export interface Note {
  range?: Range;
  message: string;
}
