/** Runs a tool to completion (a JVM, promtool, a Python benchmark) and captures what it printed. */
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout alone, for a tool whose last line is its result. */
  stdout: string;
  /** stdout and stderr interleaved, for error messages. */
  output: string;
}

/** Rejects with a clear error when the command is not there (ENOENT), with `missingHint` added. */
export function runCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; missingHint?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let output = '';
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new Error(`'${cmd}' not found on PATH.${opts.missingHint ? ' ' + opts.missingHint : ''}`));
      } else {
        reject(err);
      }
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, output }));
  });
}
