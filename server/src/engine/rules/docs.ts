/**
 * Renders each rule's docs page (markdown) from its registry entry. The same text backs the
 * generated `docs/rules/<id>.md`, SARIF help and editor hovers.
 */
import type { Rule } from './rule';

/** Where the rule pages are published (the generated docs/rules/ of this repository). */
export const DOCS_BASE_URL = 'https://github.com/drainguard/drainguard/blob/main/docs/rules/';

/** The docs page of a rule. */
export function ruleDocsUrl(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}

const NEEDS: Record<Rule['needs'], string> = {
  kubernetes: 'Kubernetes validity: checked on every object, Istio or not.',
  annotation: 'Runs wherever the Istio annotation it checks is written.',
  mesh: 'Istio control-plane configuration: IstioOperator, Sail `Istio`, the injector and mesh ConfigMaps, istiod Helm values.',
  injection:
    'Runs only on pods with evidence of sidecar injection (the `sidecar.istio.io/inject: "true"` label, an `istio.io/rev` label, an Istio annotation, a custom `istio-proxy` container, or a labelled Namespace in the same run), or with `assumeInjection: always`.',
};

/** The markdown page of one rule. */
export function ruleDocPage(rule: Rule): string {
  const d = rule.docs;
  const parts = [
    `# \`${rule.id}\``,
    '',
    `**${rule.title}**`,
    '',
    `| | |`,
    `|---|---|`,
    `| Default severity | ${rule.severity}${rule.unnecessary ? ' (shown faded: *unnecessary*)' : ''} |`,
    `| Applies to | ${NEEDS[rule.needs]} |`,
    ...(d.versions ? [`| Versions | ${d.versions.replace(/\n/g, ' ')} |`] : []),
    '',
    '## What happens',
    '',
    d.why,
    '',
    '## How to fix it',
    '',
    d.fix,
  ];
  if (d.example) parts.push('', '## Example', '', '```yaml', d.example, '```');
  parts.push(
    '',
    '## Turning it off',
    '',
    `In \`.drainguard.yaml\`: \`rules: { ${rule.id}: off }\`. For one line: \`# drainguard-disable-next-line ${rule.id} -- <reason>\`. For one workload: the annotation \`drainguard/ignore: "${rule.id}"\`.`,
    '',
    '## Sources',
    '',
    ...d.sources.map((s) => `- ${s}`),
    '',
  );
  return parts.join('\n');
}

/** The index page listing every rule. */
export function ruleIndexPage(rules: readonly Rule[]): string {
  return [
    '# Drainguard rules',
    '',
    'Generated from the rule registry (`server/src/engine/rules/registry.ts`) by `npm run docs`; a test keeps it current.',
    '',
    '| id | severity | what it catches |',
    '|---|---|---|',
    ...rules.map((r) => `| [\`${r.id}\`](${r.id}.md) | ${r.severity} | ${r.title} |`),
    '',
  ].join('\n');
}
