/**
 * What a container's exec command does, as far as shutdown ordering cares: how long a
 * preStop hook sleeps, whether it is the classic "wait until the app's sockets close"
 * netstat loop (and whether that loop can ever end under Istio), whether a container asks
 * the Istio agent to quit, and whether a command runs a shell script.
 *
 * Commands are Kubernetes `exec.command` arrays. Shell scripts (`sh -c "..."`) go through a
 * small POSIX-shell tokenizer; anything it cannot be sure about (variables, command
 * substitution, loops, redirections, unknown programs) yields "unknown" rather than a guess.
 * Pure, dependency-free, never throws, linear in the input length.
 */

// ---------------------------------------------------------------------------------------
// Shell tokenizer
// ---------------------------------------------------------------------------------------

type Token = { kind: 'word'; text: string; dynamic: boolean } | { kind: 'op'; text: string };

interface Tokenized {
  tokens: Token[];
  /** false when a quote was left open (the text is not a complete script). */
  complete: boolean;
}

/**
 * Split shell text into words (quotes removed, `dynamic` when the word contains `$` or a
 * backquote and so depends on run time) and operators: `; \n && || | & ( ) $( \` < > >> >&
 * <& <<`. Command substitution nests, also inside double quotes. Comments are dropped.
 */
function tokenizeShell(src: string): Tokenized {
  const tokens: Token[] = [];
  const n = src.length;
  let word = '';
  let inWord = false;
  let dynamic = false;
  let inDq = false;
  let complete = true;
  // What each open '(' or '$(' returns to: 'dq' resumes a double-quoted string.
  const stack: Array<'paren' | 'sub' | 'dq'> = [];

  const flush = (): void => {
    if (inWord) tokens.push({ kind: 'word', text: word, dynamic });
    word = '';
    inWord = false;
    dynamic = false;
  };
  const op = (text: string): void => {
    flush();
    tokens.push({ kind: 'op', text });
  };

  let i = 0;
  while (i < n) {
    const c = src[i] ?? '';
    const next = src[i + 1];
    if (inDq) {
      if (c === '"') {
        inDq = false;
        i++;
      } else if (c === '\\') {
        if (next === undefined) {
          word += c;
          i++;
        } else if (next === '\n') {
          i += 2;
        } else {
          word += '$`"\\'.includes(next) ? next : c + next;
          i += 2;
        }
      } else if (c === '$' && next === '(') {
        dynamic = true;
        op('$(');
        stack.push('dq');
        inDq = false;
        i += 2;
      } else {
        if (c === '$' || c === '`') dynamic = true;
        word += c;
        i++;
      }
      continue;
    }
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
        flush();
        i++;
        break;
      case '\n':
        op('\n');
        i++;
        break;
      case '#':
        if (inWord) {
          word += c;
          i++;
        } else {
          const nl = src.indexOf('\n', i);
          i = nl < 0 ? n : nl;
        }
        break;
      case '\\':
        if (next === '\n') {
          i += 2;
        } else if (next === undefined) {
          word += c;
          inWord = true;
          i++;
        } else {
          word += next;
          inWord = true;
          i += 2;
        }
        break;
      case "'": {
        const close = src.indexOf("'", i + 1);
        inWord = true;
        if (close < 0) {
          complete = false;
          word += src.slice(i + 1);
          i = n;
        } else {
          word += src.slice(i + 1, close);
          i = close + 1;
        }
        break;
      }
      case '"':
        inDq = true;
        inWord = true;
        i++;
        break;
      case '$':
        dynamic = true;
        if (next === '(') {
          op('$(');
          stack.push('sub');
          i += 2;
        } else {
          word += c;
          inWord = true;
          i++;
        }
        break;
      case '`':
        op('`');
        i++;
        break;
      case '(':
        op('(');
        stack.push('paren');
        i++;
        break;
      case ')': {
        const top = stack.pop();
        op(')');
        i++;
        if (top === 'dq') {
          inDq = true;
          inWord = true;
          dynamic = true;
        }
        break;
      }
      case ';':
        op(';');
        i++;
        break;
      case '&':
        if (next === '&') {
          op('&&');
          i += 2;
        } else {
          op('&');
          i++;
        }
        break;
      case '|':
        if (next === '|') {
          op('||');
          i += 2;
        } else {
          op('|');
          i++;
        }
        break;
      case '<':
      case '>':
        if (next === '&' || next === '>' || next === '<') {
          op(c + next);
          i += 2;
        } else {
          op(c);
          i++;
        }
        break;
      default:
        word += c;
        inWord = true;
        i++;
    }
  }
  if (inDq) complete = false;
  flush();
  return { tokens, complete };
}

type WordToken = Extract<Token, { kind: 'word' }>;

const REDIRECTS = new Set(['<', '>', '>>', '>&', '<&', '<<']);

/** Simple commands (word lists) of a token stream, with the pipeline each belongs to. Redirections and their targets are dropped. */
function simpleCommands(tokens: readonly Token[]): Array<{ words: string[]; pipeline: number }> {
  const out: Array<{ words: string[]; pipeline: number }> = [];
  let pipeline = 0;
  let words: string[] = [];
  let skipNext = false;
  const end = (): void => {
    if (words.length > 0) out.push({ words, pipeline });
    words = [];
  };
  for (const t of tokens) {
    if (t.kind === 'word') {
      if (skipNext) skipNext = false;
      else words.push(t.text);
      continue;
    }
    if (REDIRECTS.has(t.text)) {
      skipNext = true;
      continue;
    }
    end();
    if (t.text !== '|') pipeline++;
  }
  end();
  return out;
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

// ---------------------------------------------------------------------------------------
// Shells
// ---------------------------------------------------------------------------------------

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);

/** Index of the script in `sh [options] -c script [$0 args...]`, or undefined if the command is not a shell with -c. */
function shellScriptIndex(command: readonly string[]): number | undefined {
  let i = 0;
  let name = basename(command[0] ?? '');
  if (name === 'env') {
    i++;
    while (i < command.length) {
      const a = command[i] ?? '';
      if (a === '-i' || a === '-' || a === '--ignore-environment' || (!a.startsWith('-') && a.includes('='))) i++;
      else break;
    }
    name = basename(command[i] ?? '');
  }
  if (name === 'busybox') {
    i++;
    name = command[i] ?? '';
  }
  if (!SHELLS.has(name)) return undefined;
  let j = i + 1;
  let sawC = false;
  while (j < command.length) {
    const a = command[j] ?? '';
    if (a === '--' || a === '-') {
      j++;
      break;
    }
    if (a.startsWith('--')) {
      j += a === '--rcfile' || a === '--init-file' ? 2 : 1;
      continue;
    }
    if ((a[0] === '-' || a[0] === '+') && a.length > 1) {
      let takesArg = false;
      for (let k = 1; k < a.length; k++) {
        const ch = a[k];
        if (ch === 'c' && a[0] === '-') sawC = true;
        if (ch === 'o' || ch === 'O') takesArg = true;
      }
      j += takesArg ? 2 : 1;
      continue;
    }
    break;
  }
  if (!sawC || j >= command.length) return undefined;
  return j;
}

/** Whether a command runs a shell (sh, bash, /bin/sh, /bin/bash, ash, dash, zsh, ksh; also via `busybox sh` or `env`) with -c, e.g. `sh -c`, `bash -ec`, `sh -x -c`. */
export function isShellCommand(command: readonly string[]): boolean {
  if (!isStringArray(command)) return false;
  return shellScriptIndex(command) !== undefined;
}

// ---------------------------------------------------------------------------------------
// sleep
// ---------------------------------------------------------------------------------------

const SLEEP_ARG = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/;
const SLEEP_UNIT: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** GNU `sleep` operands summed, in seconds; undefined when any is not a plain number[smhd] (`infinity`, `$X`, `1e3`, ...). */
function sleepOperands(args: readonly string[]): number | undefined {
  let start = 0;
  if (args[0] === '--') start = 1;
  if (args.length <= start) return undefined;
  let total = 0;
  for (let k = start; k < args.length; k++) {
    const m = SLEEP_ARG.exec(args[k] ?? '');
    if (!m) return undefined;
    total += Number(m[1]) * (SLEEP_UNIT[m[2] ?? ''] ?? NaN);
  }
  return Number.isFinite(total) ? roundNs(total) : undefined;
}

function roundNs(seconds: number): number {
  const r = Math.round(seconds * 1e9) / 1e9;
  return Number.isFinite(r) ? r : seconds;
}

/** `sleep N...` run directly (no shell): the seconds and the index of the first operand. */
function directSleep(command: readonly string[]): { seconds: number; argIndex: number } | undefined {
  let i = 0;
  if (basename(command[0] ?? '') === 'busybox' && command[1] === 'sleep') i = 1;
  if (basename(command[i] ?? '') !== 'sleep') return undefined;
  const args = command.slice(i + 1);
  const seconds = sleepOperands(args);
  if (seconds === undefined) return undefined;
  return { seconds, argIndex: i + 1 + (args[0] === '--' ? 1 : 0) };
}

const SHELL_KEYWORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'for', 'while', 'until', 'do', 'done', 'case', 'esac',
  'select', 'function', 'time', '{', '}', '!', '[[', ']]', 'in',
]);

interface Segment {
  words: WordToken[];
  /** Contains operators other than `; \n && ||` (pipes, background, subshells, redirections...). */
  complex: boolean;
  /** The separator that ended the segment, if any. */
  sep: string | undefined;
}

const SEPARATORS = new Set([';', '\n', '&&', '||']);

function segmentsOf(tokens: readonly Token[]): Segment[] {
  const out: Segment[] = [];
  let cur: Segment = { words: [], complex: false, sep: undefined };
  for (const t of tokens) {
    if (t.kind === 'word') {
      cur.words.push(t);
    } else if (SEPARATORS.has(t.text)) {
      cur.sep = t.text;
      out.push(cur);
      cur = { words: [], complex: false, sep: undefined };
    } else {
      cur.complex = true;
    }
  }
  out.push(cur);
  return out.filter((s) => s.words.length > 0 || s.complex);
}

type SegmentKind = { k: 'sleep'; seconds: number; exec: boolean } | { k: 'noop' } | { k: 'exit' } | { k: 'other' };

function classifySegment(seg: Segment): SegmentKind {
  if (seg.complex || seg.words.some((w) => w.dynamic)) return { k: 'other' };
  const w = seg.words.map((t) => t.text);
  let i = 0;
  let exec = false;
  if (w[0] === 'exec' && w.length > 1) {
    exec = true;
    i = 1;
  }
  if (basename(w[i] ?? '') === 'busybox' && w[i + 1] === 'sleep') i++;
  if (basename(w[i] ?? '') === 'sleep') {
    const seconds = sleepOperands(w.slice(i + 1));
    return seconds === undefined ? { k: 'other' } : { k: 'sleep', seconds, exec };
  }
  if (!exec) {
    const name = w[0] ?? '';
    if (name === ':' || name === 'true' || name === 'set') return { k: 'noop' };
    if (name === 'exit' && w.length <= 2) return { k: 'exit' };
  }
  return { k: 'other' };
}

function isSimpleSegment(seg: Segment): boolean {
  return !seg.complex && !SHELL_KEYWORDS.has(seg.words[0]?.text ?? '');
}

/** Sleep time of a shell script: the leading run of known sleeps (and no-ops). */
function scriptSleep(script: string): { seconds: number; exact: boolean } | undefined {
  const { tokens, complete } = tokenizeShell(script);
  if (!complete) return undefined;
  const segs = segmentsOf(tokens);
  let total = 0;
  let sawSleep = false;
  const result = (exact: boolean) => (sawSleep ? { seconds: roundNs(total), exact } : undefined);
  for (let k = 0; k < segs.length; k++) {
    let seg = segs[k];
    if (seg === undefined) break;
    const kind = classifySegment(seg);
    if (kind.k === 'other') return result(false);
    if (kind.k === 'exit') return result(true);
    if (kind.k === 'sleep') {
      total += kind.seconds;
      sawSleep = true;
      if (kind.exec) return result(true); // exec never returns: nothing after it runs
    }
    // Everything accepted so far succeeds, so whatever follows `||` does not run.
    while (seg.sep === '||') {
      const skipped: Segment | undefined = segs[k + 1];
      if (skipped === undefined) break;
      if (!isSimpleSegment(skipped)) return result(false);
      k++;
      seg = skipped;
    }
  }
  return result(true);
}

/**
 * Known duration of a command, in seconds, when it can be known statically. `exact` is
 * false when the command does more after a known sleep (e.g. `sleep 5 && nginx -s quit`:
 * at least 5 s). undefined when unknown (never guess: `sleep $DRAIN_TIME`, a loop, a
 * script, `nginx -s quit` alone).
 *
 * Understands `sleep` run directly (`sleep`, `/bin/sleep`, `/usr/bin/sleep`, `busybox
 * sleep`) and in shell scripts (`sh -c`, `bash -ec`, ...: the script is the element after
 * the options, later elements are `$0`, `$1`...). Operands use GNU forms: `10`, `1.5`,
 * `10s`, `1m`, `2h`, `1d`, several summed (`sleep 1m 30` = 90). `sleep infinity` is unknown.
 *
 * In a script, `;`, newline and `&&` sequences of known sleeps are summed (exact);
 * `exec sleep N` and `exit` end the script; `:`/`true`/`set ...` take no time; what follows
 * `||` after a successful command does not run. When the script starts with known sleeps
 * and then does something else, the leading sleeps are returned with `exact: false`.
 */
export function sleepDuration(command: readonly string[]): { seconds: number; exact: boolean } | undefined {
  if (!isStringArray(command)) return undefined;
  const direct = directSleep(command);
  if (direct !== undefined) return { seconds: direct.seconds, exact: true };
  const si = shellScriptIndex(command);
  if (si === undefined) return undefined;
  return scriptSleep(command[si] ?? '');
}

/**
 * Index of the element that holds the known sleep (for pointing a diagnostic at it): for
 * ["sleep","10"] the "10" (index 1), for ["sh","-c","sleep 20"] index 2. undefined if
 * {@link sleepDuration} is undefined.
 */
export function sleepArgIndex(command: readonly string[]): number | undefined {
  if (!isStringArray(command)) return undefined;
  const direct = directSleep(command);
  if (direct !== undefined) return direct.argIndex;
  const si = shellScriptIndex(command);
  if (si === undefined) return undefined;
  return scriptSleep(command[si] ?? '') === undefined ? undefined : si;
}

// ---------------------------------------------------------------------------------------
// The netstat wait loop
// ---------------------------------------------------------------------------------------

/** Three-valued logic for patterns we can only partly evaluate. */
type Tri = boolean | undefined;

/** One pattern element with its quantifier. */
interface Atom {
  test: (c: string) => boolean;
  q: '' | '*' | '+' | '?';
}

interface CompiledAlt {
  atoms: Atom[];
  anchorStart: boolean;
  anchorEnd: boolean;
}

type GrepMode = 'G' | 'E' | 'F' | 'P';

interface GrepSpec {
  invert: boolean;
  ignoreCase: boolean;
  wordMatch: boolean;
  lineMatch: boolean;
  mode: GrepMode;
  /** Patterns as given (-e, or the first operand). */
  patterns: string[];
}

/** Long grep options that take a separate argument. */
const GREP_LONG_WITH_ARG = new Set([
  'regexp', 'file', 'max-count', 'after-context', 'before-context', 'context', 'label',
  'devices', 'directories', 'exclude', 'include', 'exclude-dir', 'exclude-from', 'binary-files',
]);

/** Parse a grep/egrep/fgrep invocation; undefined when its patterns are unknown (-f FILE, none). */
function parseGrep(words: readonly string[]): GrepSpec | undefined {
  const name = basename(words[0] ?? '');
  const spec: GrepSpec = {
    invert: false,
    ignoreCase: false,
    wordMatch: false,
    lineMatch: false,
    mode: name === 'egrep' ? 'E' : name === 'fgrep' ? 'F' : 'G',
    patterns: [],
  };
  const operands: string[] = [];
  let explicit = false;
  let fromFile = false;
  let endOfOptions = false;
  for (let j = 1; j < words.length; j++) {
    const a = words[j] ?? '';
    if (endOfOptions || a === '-' || !a.startsWith('-')) {
      operands.push(a);
      continue;
    }
    if (a === '--') {
      endOfOptions = true;
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const opt = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && GREP_LONG_WITH_ARG.has(opt)) value = words[++j];
      switch (opt) {
        case 'invert-match': spec.invert = true; break;
        case 'extended-regexp': spec.mode = 'E'; break;
        case 'fixed-strings': spec.mode = 'F'; break;
        case 'basic-regexp': spec.mode = 'G'; break;
        case 'perl-regexp': spec.mode = 'P'; break;
        case 'ignore-case': spec.ignoreCase = true; break;
        case 'no-ignore-case': spec.ignoreCase = false; break;
        case 'word-regexp': spec.wordMatch = true; break;
        case 'line-regexp': spec.lineMatch = true; break;
        case 'regexp':
          explicit = true;
          if (value !== undefined) spec.patterns.push(value);
          break;
        case 'file': fromFile = true; break;
        default: break;
      }
      continue;
    }
    for (let p = 1; p < a.length; p++) {
      const ch = a[p];
      if (ch === 'e' || ch === 'f' || ch === 'm' || ch === 'A' || ch === 'B' || ch === 'C' || ch === 'd' || ch === 'D') {
        const value = p + 1 < a.length ? a.slice(p + 1) : words[++j];
        if (ch === 'e') {
          explicit = true;
          if (value !== undefined) spec.patterns.push(value);
        } else if (ch === 'f') {
          fromFile = true;
        }
        break;
      }
      switch (ch) {
        case 'v': spec.invert = true; break;
        case 'E': spec.mode = 'E'; break;
        case 'F': spec.mode = 'F'; break;
        case 'G': spec.mode = 'G'; break;
        case 'P': spec.mode = 'P'; break;
        case 'i': case 'y': spec.ignoreCase = true; break;
        case 'w': spec.wordMatch = true; break;
        case 'x': spec.lineMatch = true; break;
        default: break;
      }
    }
  }
  if (fromFile) return undefined;
  if (!explicit) {
    const first = operands[0];
    if (first === undefined) return undefined;
    spec.patterns.push(first);
  }
  return spec.patterns.length > 0 ? spec : undefined;
}

/** Split a pattern into top-level alternatives (newlines always; `|` in ERE/PCRE, `\|` in BRE). */
function alternatives(pattern: string, mode: GrepMode): string[] {
  const out: string[] = [];
  for (let line of pattern.split('\n')) {
    if (mode === 'F') {
      out.push(line);
      continue;
    }
    if (mode !== 'G' && line.startsWith('(') && line.endsWith(')')) {
      const inner = line.slice(1, -1);
      if (!/[()]/.test(inner.replace(/\\./g, ''))) line = inner; // one wrapping group: (a|b)
    }
    let cur = '';
    let inBracket = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i] ?? '';
      if (inBracket) {
        cur += c;
        if (c === ']') inBracket = false;
      } else if (c === '[') {
        inBracket = true;
        cur += c;
        if (line[i + 1] === '^') cur += line[++i] ?? '';
        if (line[i + 1] === ']') cur += line[++i] ?? '';
      } else if (c === '\\') {
        const nx = line[i + 1];
        if (mode === 'G' && nx === '|') {
          out.push(cur);
          cur = '';
        } else {
          cur += c + (nx ?? '');
        }
        i++;
      } else if (c === '|' && mode !== 'G') {
        out.push(cur);
        cur = '';
      } else {
        cur += c;
      }
    }
    out.push(cur);
  }
  return out;
}

/** Compile one alternative into atoms; undefined when it uses constructs we do not model (groups, intervals, back-references, classes like \w). */
function compileAlternative(alt: string, mode: GrepMode, ignoreCase: boolean): CompiledAlt | undefined {
  const fold = (c: string): string => (ignoreCase ? c.toLowerCase() : c);
  const literal = (c: string): ((x: string) => boolean) => {
    const f = fold(c);
    return (x) => fold(x) === f;
  };
  const atoms: Atom[] = [];
  const result: CompiledAlt = { atoms, anchorStart: false, anchorEnd: false };
  if (mode === 'F') {
    for (const c of alt) atoms.push({ test: literal(c), q: '' });
    return result;
  }
  const ere = mode !== 'G';
  let i = 0;
  if (alt[0] === '^') {
    result.anchorStart = true;
    i = 1;
  }
  const quantify = (q: Atom['q']): boolean => {
    const last = atoms[atoms.length - 1];
    if (last === undefined) return false;
    // Stacked quantifiers (PCRE lazy `+?`, `*?`...): keep the widest that is still exact.
    if (last.q === '') last.q = q;
    else if (!(last.q === '+' && q === '?') && last.q !== q) last.q = '*';
    return true;
  };
  for (; i < alt.length; i++) {
    const c = alt[i] ?? '';
    if (c === '$' && i === alt.length - 1) {
      result.anchorEnd = true;
      break;
    }
    if (c === '\\') {
      const nx = alt[i + 1];
      i++;
      if (nx === undefined) return undefined;
      if (!ere && (nx === '+' || nx === '?')) {
        // GNU BRE: \+ and \? are quantifiers.
        if (!quantify(nx)) return undefined;
        continue;
      }
      // \w \s \b \< \> \` \' back-references, and BRE groups/intervals: not modelled.
      if (/[A-Za-z0-9<>`']/.test(nx) || (!ere && /[(){}]/.test(nx))) return undefined;
      atoms.push({ test: literal(nx), q: '' });
      continue;
    }
    if (c === '.') {
      atoms.push({ test: () => true, q: '' });
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (alt[j] === '^') {
        negate = true;
        j++;
      }
      const ranges: Array<[string, string]> = [];
      let first = true;
      while (j < alt.length && (alt[j] !== ']' || first)) {
        const lo = alt[j] ?? '';
        if (lo === '[' && /[:=.]/.test(alt[j + 1] ?? '')) return undefined;
        if (alt[j + 1] === '-' && alt[j + 2] !== undefined && alt[j + 2] !== ']') {
          ranges.push([lo, alt[j + 2] ?? lo]);
          j += 3;
        } else {
          ranges.push([lo, lo]);
          j++;
        }
        first = false;
      }
      if (j >= alt.length) return undefined;
      i = j;
      const inRanges = (x: string): boolean => ranges.some(([lo, hi]) => x >= lo && x <= hi);
      atoms.push({
        test: (x) => (inRanges(x) || (ignoreCase && (inRanges(x.toLowerCase()) || inRanges(x.toUpperCase())))) !== negate,
        q: '',
      });
      continue;
    }
    if (c === '*') {
      if (!quantify('*')) {
        if (ere) return undefined;
        atoms.push({ test: literal(c), q: '' });
      }
      continue;
    }
    if (ere && (c === '+' || c === '?')) {
      if (!quantify(c)) return undefined;
      continue;
    }
    if (ere && (c === '{' || c === '(' || c === ')' || c === '|' || c === '$' || c === '^')) return undefined;
    atoms.push({ test: literal(c), q: '' });
  }
  return result;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

/**
 * Whether a compiled alternative matches somewhere in `line`: a Thompson NFA simulation
 * with sparse state lists, O(line length x active states), never backtracking.
 */
function matchesLine(alt: CompiledAlt, line: string, wordMatch: boolean, lineMatch: boolean): boolean {
  const { atoms } = alt;
  const m = atoms.length;
  const anchorStart = alt.anchorStart || lineMatch;
  const anchorEnd = alt.anchorEnd || lineMatch;
  const isWord = (p: number): boolean => p >= 0 && p < line.length && WORD_CHAR.test(line[p] ?? '');
  const mark = new Int32Array(m + 1).fill(-1);
  let stamp = 0;
  // Add state k and its epsilon closure (skipping `*` and `?` atoms) to the list of this stamp.
  const add = (list: number[], k: number): void => {
    while (k <= m && mark[k] !== stamp) {
      mark[k] = stamp;
      list.push(k);
      const q = atoms[k]?.q;
      if (q !== '*' && q !== '?') break;
      k++;
    }
  };
  let current: number[] = [];
  for (let p = 0; p <= line.length; p++) {
    if ((!anchorStart || p === 0) && (!wordMatch || !isWord(p - 1))) add(current, 0);
    if (mark[m] === stamp && (!anchorEnd || p === line.length) && (!wordMatch || !isWord(p))) return true;
    if (p === line.length || current.length === 0) {
      if (anchorStart || p === line.length) break;
      continue;
    }
    const c = line[p] ?? '';
    stamp++;
    const next: number[] = [];
    for (const k of current) {
      const atom = atoms[k];
      if (atom === undefined || !atom.test(c)) continue;
      if (atom.q === '*' || atom.q === '+') add(next, k);
      add(next, k + 1);
    }
    current = next;
  }
  return false;
}

/** A grep with its patterns compiled once; `unknown` when some alternative is beyond our model. */
interface CompiledGrep {
  spec: GrepSpec;
  alts: CompiledAlt[];
  unknown: boolean;
}

function compileGrep(spec: GrepSpec): CompiledGrep {
  const alts: CompiledAlt[] = [];
  let unknown = false;
  for (const pattern of spec.patterns) {
    for (const alt of alternatives(pattern, spec.mode)) {
      const compiled = compileAlternative(alt, spec.mode, spec.ignoreCase);
      if (compiled === undefined) unknown = true;
      else alts.push(compiled);
    }
  }
  return { spec, alts, unknown };
}

/** Whether grep selects `line` (before -v): true, false, or undefined when a pattern is beyond our model. */
function grepSelects(grep: CompiledGrep, line: string): Tri {
  const { wordMatch, lineMatch } = grep.spec;
  if (grep.alts.some((alt) => matchesLine(alt, line, wordMatch, lineMatch))) return true;
  return grep.unknown ? undefined : false;
}

/** `netstat -plunt` lines of the sidecar's own listeners (ports from Istio's port table). */
const ENVOY_LINES = [
  'tcp        0      0 127.0.0.1:15000         0.0.0.0:*               LISTEN      23/envoy',
  'tcp        0      0 0.0.0.0:15001           0.0.0.0:*               LISTEN      23/envoy',
  'tcp        0      0 0.0.0.0:15006           0.0.0.0:*               LISTEN      23/envoy',
  'tcp        0      0 0.0.0.0:15021           0.0.0.0:*               LISTEN      23/envoy',
  'tcp        0      0 0.0.0.0:15090           0.0.0.0:*               LISTEN      23/envoy',
];
const PILOT_AGENT_LINES = [
  'tcp        0      0 127.0.0.1:15004         0.0.0.0:*               LISTEN      1/pilot-agent',
  'tcp6       0      0 :::15020                :::*                    LISTEN      1/pilot-agent',
];

/** Whether every line is dropped by the grep chain (three-valued). */
function allDropped(greps: readonly CompiledGrep[], lines: readonly string[]): Tri {
  let result: Tri = true;
  for (const line of lines) {
    // The line survives when it passes every grep.
    let survives: Tri = true;
    for (const g of greps) {
      const sel = grepSelects(g, line);
      const passes: Tri = sel === undefined ? undefined : sel !== g.spec.invert;
      if (passes === false) {
        survives = false;
        break;
      }
      if (passes === undefined) survives = undefined;
    }
    if (survives === true) return false;
    if (survives === undefined) result = undefined;
  }
  return result;
}

/** Analyze one string as a netstat wait loop: true/false = recognized (pilot-agent filtered too?), undefined = not the loop or unsure. */
function analyzeNetstatLoop(text: string): Tri {
  if (!text.includes('netstat')) return undefined;
  const commands = simpleCommands(tokenizeShell(text).tokens);
  const firsts = new Set(commands.map((c) => c.words[0] ?? ''));
  if (!(firsts.has('while') || firsts.has('until')) || !firsts.has('done')) return undefined;
  const seenPipelines = new Set<number>();
  for (let k = 0; k < commands.length; k++) {
    const cmd = commands[k];
    if (cmd === undefined) continue;
    const prog0 = basename(cmd.words[0] ?? '');
    if (prog0 !== 'netstat' && !(prog0 === 'busybox' && cmd.words[1] === 'netstat')) continue;
    if (seenPipelines.has(cmd.pipeline)) continue;
    seenPipelines.add(cmd.pipeline);
    const greps: GrepSpec[] = [];
    let unknownGrep = false;
    for (let j = k + 1; j < commands.length; j++) {
      const next = commands[j];
      if (next === undefined || next.pipeline !== cmd.pipeline) break;
      const prog = basename(next.words[0] ?? '');
      if (prog !== 'grep' && prog !== 'egrep' && prog !== 'fgrep') continue;
      const spec = parseGrep(next.words);
      if (spec === undefined) unknownGrep = true;
      else greps.push(spec);
    }
    const mentionsEnvoy = greps.some((g) => g.invert && g.patterns.some((p) => p.toLowerCase().includes('envoy')));
    if (!mentionsEnvoy) continue;
    if (unknownGrep) return undefined;
    const compiled = greps.map(compileGrep);
    const envoy = allDropped(compiled, ENVOY_LINES);
    const pilot = allDropped(compiled, PILOT_AGENT_LINES);
    if (envoy === false || pilot === false) return false;
    if (envoy === undefined || pilot === undefined) return undefined;
    return true;
  }
  return undefined;
}

/**
 * The classic "wait until the app's sockets close" netstat loop (`while [ $(netstat -plunt
 * | grep tcp | grep -v envoy | wc -l | xargs) -ne 0 ]; do sleep 1; done` and variants with
 * egrep/grep -E/grep -v -e, with or without `pilot-agent` excluded). `excludesPilotAgent`
 * tells whether pilot-agent is filtered out too (without it the loop never ends, because
 * pilot-agent listens on :15020). `argIndex` is the index in `command` of the element
 * holding the loop.
 *
 * Recognized: a `while`/`until` ... `done` loop whose netstat pipeline has an inverted grep
 * (`-v`, `--invert-match`) naming envoy. The grep chain is then evaluated against typical
 * `netstat -plunt` lines of envoy (15000/15001/15006/15021/15090) and pilot-agent
 * (15004/15020) with grep's real syntax: BRE `|` is literal (so `grep -v "envoy|pilot-agent"`
 * filters neither: `excludesPilotAgent` false), `\|`, `-E`/egrep/`-P` alternation, `-e`
 * lists, `-i`, `-w`, `-x`, `-F`. `excludesPilotAgent` is true only when every envoy and
 * pilot-agent line is filtered out. undefined when not such a loop, or when a grep in the
 * chain uses patterns beyond this model (nested groups, intervals, back-references,
 * `\w`-style classes, `-f FILE`).
 */
export function netstatWaitLoop(command: readonly string[]): { excludesPilotAgent: boolean; argIndex: number } | undefined {
  if (!isStringArray(command)) return undefined;
  for (let idx = 0; idx < command.length; idx++) {
    const r = analyzeNetstatLoop(command[idx] ?? '');
    if (r !== undefined) return { excludesPilotAgent: r, argIndex: idx };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// quitquitquit
// ---------------------------------------------------------------------------------------

const LOOPBACK_URL =
  /^(?:(https?):\/\/)?(?:[^@/?#]*@)?(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(?::(\d+))?(\/[^?#]*)?(?:[?#].*)?$/i;

/** Whether `url` is plain HTTP to a loopback address on `port` with path /quitquitquit (the agent rejects non-local callers). */
function isAgentQuitUrl(url: string, port: number): boolean {
  const m = LOOPBACK_URL.exec(url);
  if (!m) return false;
  if ((m[1] ?? 'http').toLowerCase() !== 'http') return false;
  const p = m[3] === undefined ? 80 : Number(m[3]);
  return p === port && m[4] === '/quitquitquit';
}

/** curl short options that take a value (the rest of the cluster, or the next word). */
const CURL_SHORT_WITH_ARG = new Set('AbcCdDeEFHKmoPQrtTuUwxXyYz'.split(''));
const CURL_LONG_WITH_ARG = new Set([
  'request', 'url', 'data', 'data-raw', 'data-binary', 'data-ascii', 'data-urlencode', 'form',
  'form-string', 'json', 'header', 'output', 'user', 'user-agent', 'max-time', 'connect-timeout',
  'retry', 'retry-delay', 'retry-max-time', 'cacert', 'cert', 'key', 'proxy', 'resolve',
  'connect-to', 'write-out', 'unix-socket', 'interface', 'cookie', 'cookie-jar', 'referer',
  'config', 'upload-file', 'range', 'variable', 'expect100-timeout', 'limit-rate', 'dump-header',
]);
const CURL_DATA = new Set(['data', 'data-raw', 'data-binary', 'data-ascii', 'data-urlencode', 'form', 'form-string', 'json']);

function curlPostsQuit(args: readonly string[], port: number): boolean {
  let method: string | undefined;
  let hasData = false;
  let get = false;
  let head = false;
  const urls: string[] = [];
  for (let j = 0; j < args.length; j++) {
    const a = args[j] ?? '';
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const opt = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && CURL_LONG_WITH_ARG.has(opt)) value = args[++j];
      if (opt === 'request') method = value;
      else if (opt === 'url' && value !== undefined) urls.push(value);
      else if (CURL_DATA.has(opt)) hasData = true;
      else if (opt === 'get') get = true;
      else if (opt === 'head') head = true;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let p = 1; p < a.length; p++) {
        const ch = a[p] ?? '';
        if (CURL_SHORT_WITH_ARG.has(ch)) {
          const value = p + 1 < a.length ? a.slice(p + 1) : args[++j];
          if (ch === 'X') method = value;
          else if (ch === 'd' || ch === 'F') hasData = true;
          break;
        }
        if (ch === 'G') get = true;
        if (ch === 'I') head = true;
      }
      continue;
    }
    urls.push(a);
  }
  const effective = method ?? (head ? 'HEAD' : hasData && !get ? 'POST' : 'GET');
  return effective === 'POST' && urls.some((u) => isAgentQuitUrl(u, port));
}

const WGET_SHORT_WITH_ARG = new Set('oaeiBtOTwQPUlARDXIY'.split(''));
const WGET_LONG_WITH_ARG = new Set([
  'post-data', 'post-file', 'body-data', 'body-file', 'method', 'header', 'output-document',
  'output-file', 'append-output', 'tries', 'timeout', 'user-agent', 'user', 'password',
  'directory-prefix', 'wait', 'execute', 'input-file', 'ca-certificate', 'certificate',
  'private-key', 'referer', 'quota', 'level', 'bind-address', 'dns-timeout', 'connect-timeout',
  'read-timeout', 'limit-rate', 'load-cookies', 'save-cookies', 'proxy-user', 'proxy-password',
]);

function wgetPostsQuit(args: readonly string[], port: number): boolean {
  let method: string | undefined;
  let post = false;
  const urls: string[] = [];
  for (let j = 0; j < args.length; j++) {
    const a = args[j] ?? '';
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const opt = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && WGET_LONG_WITH_ARG.has(opt)) value = args[++j];
      if (opt === 'post-data' || opt === 'post-file') post = true;
      else if (opt === 'method' && value !== undefined) method = value.toUpperCase();
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let p = 1; p < a.length; p++) {
        if (WGET_SHORT_WITH_ARG.has(a[p] ?? '')) {
          if (p + 1 >= a.length) j++;
          break;
        }
      }
      continue;
    }
    urls.push(a);
  }
  const effective = method ?? (post ? 'POST' : 'GET');
  return effective === 'POST' && urls.some((u) => isAgentQuitUrl(u, port));
}

/**
 * `pilot-agent request POST quitquitquit`. Note: pilot-agent sends this to
 * `localhost:--debug-port`, which defaults to 15000 (Envoy's admin API), not to the agent's
 * status port; the form is still accepted without `--debug-port`, as the established way
 * to stop the sidecar from inside the pod. With an explicit `--debug-port` it counts only
 * when that port is the status port.
 */
function pilotAgentQuit(args: readonly string[], port: number): boolean {
  let debugPort: number | undefined;
  const positional: string[] = [];
  for (let j = 0; j < args.length; j++) {
    const a = args[j] ?? '';
    if (a.startsWith('-')) {
      const opt = a.replace(/^--?/, '');
      if (opt === 'debug-port') debugPort = Number(args[++j]);
      else if (opt.startsWith('debug-port=')) debugPort = Number(opt.slice('debug-port='.length));
      continue;
    }
    positional.push(a);
  }
  if (positional[0] !== 'request' || positional[1] !== 'POST') return false;
  if ((positional[2] ?? '').replace(/^\/+/, '') !== 'quitquitquit') return false;
  return debugPort === undefined || debugPort === port;
}

/** Whether a word list (one simple command or a whole argv) POSTs to the agent's quitquitquit. */
function wordsCallQuit(words: readonly string[], port: number): boolean {
  // The first client word (after wrappers such as `exec`, `timeout 5`) owns the rest.
  const k = words.findIndex((w) => QUIT_CLIENTS.has(basename(w)));
  if (k < 0) return false;
  const prog = basename(words[k] ?? '');
  const rest = words.slice(k + 1);
  if (prog === 'curl') return curlPostsQuit(rest, port);
  if (prog === 'wget') return wgetPostsQuit(rest, port);
  return pilotAgentQuit(rest, port);
}

const QUIT_CLIENTS = new Set(['curl', 'wget', 'pilot-agent']);

function scriptCallsQuit(script: string, port: number): boolean {
  if (!/quitquitquit/.test(script)) return false;
  return simpleCommands(tokenizeShell(script).tokens).some((c) => wordsCallQuit(c.words, port));
}

/**
 * True when the command/args (joined strings of a container's command and args) POST to
 * the Istio agent's quitquitquit on the given status port (default 15020): `curl -X POST
 * localhost:15020/quitquitquit`, `curl -sf -XPOST http://127.0.0.1:15020/quitquitquit`,
 * `wget --post-data '' http://localhost:15020/quitquitquit`, or `pilot-agent request POST
 * quitquitquit`. Envoy's own admin `:15000/quitquitquit` does NOT count.
 *
 * The strings are read three ways: as one argv (`["curl","-X","POST",url]`), each as a
 * shell script (`sh -c "..."` bodies), and all joined with spaces as one script. curl's
 * method is `-X`/`--request`, else POST when it sends data (`-d`, `--data*`, `-F`, `--json`)
 * without `-G`; wget's is `--method`, else POST with `--post-data`/`--post-file`. The URL
 * must be plain http to localhost, 127.x.x.x or [::1] on `statusPort`, path /quitquitquit.
 */
export function callsAgentQuit(strings: readonly string[], statusPort = 15020): boolean {
  if (!isStringArray(strings)) return false;
  const port = typeof statusPort === 'number' && Number.isFinite(statusPort) ? statusPort : 15020;
  if (!strings.some((s) => s.includes('quitquitquit'))) return false;
  if (wordsCallQuit(strings, port)) return true;
  if (strings.some((s) => scriptCallsQuit(s, port))) return true;
  return scriptCallsQuit(strings.join(' '), port);
}
