/** finsent config-docs: regenerate the configuration tables of the docs from the config schemas. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedDocs } from '../config-docs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HELP = `Usage: finsent config-docs [--check]

Writes the configuration tables (README.md, docs/alerts.md, docs/configuration.md) from the services' config schemas.
  --check   write nothing; exit 1 when a committed table differs from its schema
`;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return (process.stdout.write(HELP), 0);
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length)
    return (process.stderr.write(`finsent config-docs: unknown argument ${unknown[0]}\n\n${HELP}`), 2);
  const check = argv.includes('--check');
  let stale = 0;
  for (const [path, content] of Object.entries(generatedDocs())) {
    let current = '';
    try {
      current = readFileSync(join(ROOT, path), 'utf8');
    } catch {
      // A missing file is stale.
    }
    if (current === content) continue;
    stale++;
    if (check) process.stderr.write(`${path} differs from the config schemas; run finsent config-docs\n`);
    else {
      writeFileSync(join(ROOT, path), content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  return check && stale ? 1 : 0;
}
