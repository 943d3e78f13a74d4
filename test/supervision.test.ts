/**
 * Children die with their supervisor: after a SIGKILL of `finsent start`, its services must not live on as
 * orphans holding their ports (the next start then saw their /healthz as its own and its children failed
 * with EADDRINUSE). A real supervisor process starts a real alert service, and is killed.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { brokers, tempDir, waitFor } from './support/env.js';

const dir = tempDir('supervision');
afterAll(() => dir.remove());
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a service stops by itself once the supervisor that started it is gone', async () => {
  const script = join(dir.path, 'supervisor.mts');
  const serviceProcess = fileURLToPath(new URL('../devkit/service-process.ts', import.meta.url));
  writeFileSync(
    script,
    `
    import { ServiceProcess } from ${JSON.stringify(serviceProcess)};
    const svc = new ServiceProcess('alert', Number(process.env.ALERT_PORT), process.env, ${JSON.stringify(join(dir.path, 'alert.log'))});
    await svc.start(90_000, 1);
    process.stdout.write('child ' + svc.pid + '\\n');
    setInterval(() => undefined, 1_000);
  `,
  );
  const port = 19_000 + Math.floor(Math.random() * 1_000);
  const supervisor = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, KAFKA_BROKERS: brokers(), ALERT_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  supervisor.stdout!.on('data', (d) => (out += String(d)));
  const child = await waitFor(
    'the supervised service to be healthy',
    async () => Number(/child (\d+)/.exec(out)?.[1]) || undefined,
    90_000,
  );
  expect(alive(child)).toBe(true);
  supervisor.kill('SIGKILL');
  await waitFor('the orphaned service to exit', async () => !alive(child), 30_000);
}, 150_000);
