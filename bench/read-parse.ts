/**
 * The CLI's baseline: discover the YAML files under the given paths as `drainguard check` does,
 * read each one and parse it with `yaml.parseAllDocuments` (library defaults), nothing else.
 * `node out/bench/read-parse.js <path...>` prints the file and document counts as JSON.
 */
import { parseAllDocuments } from 'yaml';
import { collectFiles, readText } from '../server/src/host/files';

let files = 0;
let documents = 0;
for (const p of process.argv.slice(2)) {
  for (const f of collectFiles(p, p).files) {
    const r = readText(f.abs);
    if ('error' in r) continue;
    files++;
    documents += parseAllDocuments(r.text).length;
  }
}
process.stdout.write(`${JSON.stringify({ files, documents })}\n`);
