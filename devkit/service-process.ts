/**
 * A pipeline service as a child process (`node --import tsx services/<name>/src/main.ts`), as it
 * runs in production: its own process group (a terminal's Ctrl-C reaches only the supervisor,
 * which stops services in order), logs appended to a file, readiness from its /healthz.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from '@finsent/shared';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export type ServiceName = 'ingest' | 'classify' | 'store' | 'alert' | 'live';

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

  /**
   * Starts the process and resolves once its /healthz answers 200. A service that exits during
   * start-up is started again (up to `startAttempts` in all), as a supervisor such as systemd with
   * `Restart=on-failure` would: on a loaded host a broker can refuse a first request that it
   * answers a second later. Each failed attempt is reported through `onStartFailure` with the tail
   * of the service's log, and the last one throws with it.
   */
  async start(timeoutMs = 90_000, startAttempts = 3): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const exitCode = await this.startOnce(timeoutMs);
      if (exitCode === undefined) return;
      const message = `${this.name} exited during start-up (code ${exitCode}, attempt ${attempt} of ${startAttempts}); see ${this.logFile}`;
      const tail = this.logTail();
      if (attempt >= startAttempts) throw new Error(`${message}\n${tail}`);
      this.onStartFailure?.(message, tail);
      await sleep(1_000 * attempt);
    }
  }

  /** Called for each start-up attempt that failed but will be retried. */
  onStartFailure: ((message: string, logTail: string) => void) | undefined = (message, tail) =>
    process.stderr.write(`${message}\n${tail}\n`);

  /** The last lines of the service's log, for an error message. */
  private logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Resolves undefined once healthy, or with the exit code if the process died first. */
  private async startOnce(timeoutMs: number): Promise<number | string | null | undefined> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.expectingExit = false;
    // A heap cap makes V8 collect before it grows: without one it sizes the heap from the host's
    // memory (GBs here) and a service's RSS is mostly uncollected garbage.
    const heapMb = Number(this.env.FINSENT_SERVICE_HEAP_MB ?? 512);
    const proc = spawn(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, '--import', 'tsx', `${ROOT}services/${this.name}/src/main.ts`],
      {
        cwd: ROOT,
        env: {
          ...this.env,
          [`${this.name.toUpperCase()}_PORT`]: String(this.opsPort),
          FINSENT_SUPERVISOR_PID: String(process.pid),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    // Two sources share the file: neither may end it; it ends once both are drained ('close').
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    const logWritten = new Promise<void>((resolve) => proc.once('close', () => log.end(resolve)));
    this.proc = proc;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        await logWritten; // the last lines it wrote, for the error message
        return proc.exitCode ?? proc.signalCode;
      }
      try {
        const res = await fetch(`http://127.0.0.1:${this.opsPort}/healthz`);
        // Only this child's answer counts: another process on the port (an orphan of an earlier run) is not it.
        const answeredBy = ((await res.json().catch(() => ({}))) as { pid?: number }).pid;
        if (res.ok && answeredBy === proc.pid) {
          // Watched from here on: a death before this point is a start-up failure, retried by start().
          proc.on('exit', (code, signal) => {
            if (!this.expectingExit) this.onUnexpectedExit?.(code, signal);
          });
          return undefined;
        }
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs / 1000} s; see ${this.logFile}\n${this.logTail()}`);
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
