// Writes docs/rules/*.md from the rule registry. Run with `npm run docs`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruleDocPage, ruleIndexPage } from '../server/src/engine/rules/docs';
import { RULES } from '../server/src/engine/rules/registry';

const dir = join(__dirname, '..', '..', 'docs', 'rules');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.md')) rmSync(join(dir, f));
writeFileSync(join(dir, 'README.md'), ruleIndexPage(RULES));
for (const r of RULES) writeFileSync(join(dir, `${r.id}.md`), ruleDocPage(r));
console.log(`wrote ${RULES.length + 1} pages to docs/rules/`);
