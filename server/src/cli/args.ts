/**
 * Command-line parsing for `drainguard`. No dependency: the flag set is small and fixed.
 */
import type { Settings } from '../engine/settings';

export type Format = 'text' | 'json' | 'sarif' | 'github';

export interface CliOptions {
  command: 'check' | 'rules' | 'help' | 'version';
  paths: string[];
  format: Format;
  fix: boolean;
  config?: string;
  maxWarnings?: number;
  color: boolean;
  /** Settings given as flags (they override config files). */
  flags: Partial<Settings>;
  stdinFilename?: string;
}

export class UsageError extends Error {}

export const USAGE = `Usage: drainguard check [options] [paths...|-]

Checks Kubernetes YAML for Istio sidecar shutdown-ordering mistakes.
Paths are files or directories (searched for *.yaml and *.yml, skipping node_modules
and .git); "-" reads standard input. With no path, the current directory.

Options:
  --format text|json|sarif|github   output format (default text)
  --fix                             apply each finding's preferred fix in place
  --config FILE                     use this config instead of the nearest .drainguard.yaml
  --istio-version X.Y               target Istio version (enables version checks)
  --kubernetes-version X.Y          target Kubernetes version
  --native-sidecars auto|on|off     sidecar mode when a pod does not say
  --assume-injection auto|always|never
  --default-drain-duration DUR      the mesh's default terminationDrainDuration (e.g. 45s)
  --shutdown-margin DUR             margin the fixes leave (default 5s)
  --max-warnings N                  exit 1 when there are more than N warnings
  --no-inline-suppressions          ignore drainguard-disable comments and annotations
  --stdin-filename NAME             the name to report for "-"
  --no-color                        plain text output
  -h, --help                        this help
  -v, --version                     the version

Other commands:
  drainguard rules                  list the rules

Exit status: 0 no errors, 1 errors (or too many warnings), 2 usage or I/O errors.`;

const VALUE_FLAGS = new Set([
  '--format',
  '--config',
  '--istio-version',
  '--kubernetes-version',
  '--native-sidecars',
  '--assume-injection',
  '--default-drain-duration',
  '--shutdown-margin',
  '--max-warnings',
  '--stdin-filename',
]);

/** Parse argv (without node and the script). Throws UsageError. */
export function parseArgs(argv: readonly string[], isTTY: boolean): CliOptions {
  const opts: CliOptions = { command: 'check', paths: [], format: 'text', fix: false, color: isTTY && !process.env.NO_COLOR, flags: {} };
  const rest = [...argv];
  if (rest[0] === 'check' || rest[0] === 'rules') opts.command = rest.shift() as 'check' | 'rules';
  else if (rest[0] !== undefined && !rest[0].startsWith('-')) throw new UsageError(`unknown command "${rest[0]}" (try "drainguard check ${rest[0]}")`);
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    let a = rest[i]!;
    if (a === '-h' || a === '--help') return { ...opts, command: 'help' };
    if (a === '-v' || a === '--version') return { ...opts, command: 'version' };
    if (a === '--fix') opts.fix = true;
    else if (a === '--no-color') opts.color = false;
    else if (a === '--color') opts.color = true;
    else if (a === '--no-inline-suppressions') opts.flags.inlineSuppressions = false;
    else if (a.startsWith('--')) {
      let v: string | undefined;
      const eq = a.indexOf('=');
      if (eq > 0) {
        v = a.slice(eq + 1);
        a = a.slice(0, eq);
      }
      if (!VALUE_FLAGS.has(a)) throw new UsageError(`unknown option ${a}`);
      if (v === undefined) {
        v = rest[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
      }
      flags[a] = v;
    } else opts.paths.push(a);
  }
  const f = flags['--format'];
  if (f !== undefined) {
    if (f !== 'text' && f !== 'json' && f !== 'sarif' && f !== 'github') throw new UsageError(`--format must be text, json, sarif or github, not "${f}"`);
    opts.format = f;
  }
  opts.config = flags['--config'];
  opts.stdinFilename = flags['--stdin-filename'];
  const mw = flags['--max-warnings'];
  if (mw !== undefined) {
    if (!/^\d+$/.test(mw)) throw new UsageError(`--max-warnings takes a whole number, not "${mw}"`);
    opts.maxWarnings = Number(mw);
  }
  const map: [string, string][] = [
    ['--istio-version', 'istioVersion'],
    ['--kubernetes-version', 'kubernetesVersion'],
    ['--native-sidecars', 'nativeSidecars'],
    ['--assume-injection', 'assumeInjection'],
    ['--default-drain-duration', 'defaultDrainDuration'],
    ['--shutdown-margin', 'shutdownMargin'],
  ];
  const raw: Record<string, string> = {};
  for (const [flag, key] of map) if (flags[flag] !== undefined) raw[key] = flags[flag]!;
  Object.assign(opts.flags, raw);
  return opts;
}
