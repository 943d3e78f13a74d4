import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private temp folder for throwaway state (benchmarks' brokers), removed by `remove()`. */
export function tempDirFor(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `finsent-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
