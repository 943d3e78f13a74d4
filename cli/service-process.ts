/**
 * A pipeline service as a child process (`node --import tsx services/<name>/src/main.ts`), as it
 * runs in production: its own process group (a terminal's Ctrl-C reaches only the supervisor,
 * which stops services in order), logs appended to a file, readiness from its /healthz.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from '@finsent/shared';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export type ServiceName = 'ingest' | 'classify' | 'store' | 'alert';

export class ServiceProcess {
  private proc: ChildProcess | undefined;
  /** Called when the process exits without stop() or kill() having been asked for. */
  onUnexpectedExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  private expectingExit = false;

  constructor(
    readonly name: ServiceName,
    readonly opsPort: number,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and resolves once its /healthz answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.expectingExit = false;
    // A heap cap makes V8 collect before it grows: without one it sizes the heap from the host's
    // memory (GBs here) and a service's RSS is mostly uncollected garbage.
    const heapMb = Number(this.env.FINSENT_SERVICE_HEAP_MB ?? 512);
    const proc = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', `${ROOT}services/${this.name}/src/main.ts`], {
      cwd: ROOT,
      env: { ...this.env, [`${this.name.toUpperCase()}_PORT`]: String(this.opsPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    proc.on('exit', (code, signal) => {
      if (!this.expectingExit) this.onUnexpectedExit?.(code, signal);
    });
    this.proc = proc;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start-up (code ${proc.exitCode}); see ${this.logFile}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.opsPort}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs / 1000} s; see ${this.logFile}`);
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    await exited;
  }

  /** Graceful: SIGTERM, the service commits what it processed and exits. */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** A crash: SIGKILL, nothing is committed or flushed. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }
}
