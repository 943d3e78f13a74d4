/**
 * The local broker runs in its own process group (so Ctrl-C reaches `finsent start`, which stops
 * the services before the broker), which means a parent killed with SIGKILL leaves it running.
 * The next start on the same data directory must find and kill that broker instead of failing on
 * the log directory's lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startKafkaBroker, type KafkaBroker } from '../devkit/kafka/broker.js';
import { tempDir, waitFor } from './support/env.js';

const dir = tempDir('broker-stale');
/** broker.pid holds `<broker pid> <parent pid>`. */
const brokerPidIn = (dataDir: string) => Number(readFileSync(join(dataDir, 'broker.pid'), 'utf8').split(' ')[0]);
let second: KafkaBroker | undefined;
let orphanPid = 0;

afterAll(async () => {
  await second?.stop();
  if (orphanPid && existsSync(`/proc/${orphanPid}`)) process.kill(orphanPid, 'SIGKILL');
  dir.remove();
});

it("leaves a live pipeline's broker alone, and kills one orphaned by a SIGKILLed parent when the next start uses its data directory", async () => {
  const parent = spawn(
    process.execPath,
    ['--import', 'tsx', 'devkit/kafka/cli.ts', 'start', '--data', dir.path, '--port', '0', '--quiet'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let stdout = '';
  parent.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  await waitFor('the first broker to be ready', async () => stdout.includes('127.0.0.1:'), 90_000);
  orphanPid = brokerPidIn(dir.path);
  // While its parent lives, the broker is a running pipeline's: a second start is refused.
  await expect(startKafkaBroker({ dataDir: dir.path })).rejects.toThrow(/already running on/);
  expect(existsSync(`/proc/${orphanPid}`)).toBe(true);
  parent.kill('SIGKILL');
  await new Promise((resolve) => parent.once('exit', resolve));
  expect(existsSync(`/proc/${orphanPid}`)).toBe(true); // the broker outlived its parent

  second = await startKafkaBroker({ dataDir: dir.path });
  expect(second.pid).not.toBe(orphanPid);
  expect(existsSync(`/proc/${orphanPid}`)).toBe(false);
  expect(brokerPidIn(dir.path)).toBe(second.pid);
}, 120_000);
