/**
 * `<dataDir>/broker.pid`: which broker runs on a data dir and which process started it. The broker runs
 * in its own process group (see process.ts), so a parent that dies without stopping it (SIGKILL, OOM)
 * leaves it holding the port and the log dir's lock; the next start on that dir reads this file to find
 * and kill such an orphan, and to refuse outright while the parent (a running pipeline) is still alive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PID_FILE = 'broker.pid';

/** `<broker pid> <pid of the process that started it>`: what killStaleBroker needs to judge it. */
const pidFileContent = (brokerPid: number): string => `${brokerPid} ${process.pid}\n`;

/** Records a just-spawned broker as this process's. */
export function writePidFile(dataDir: string, brokerPid: number): void {
  fs.writeFileSync(path.join(dataDir, PID_FILE), pidFileContent(brokerPid));
}

/** Removes the file only if it still names this broker: after a restart it names the one that replaced it. */
export function removePidFileOf(dataDir: string, brokerPid: number): void {
  const pidFile = path.join(dataDir, PID_FILE);
  try {
    if (fs.readFileSync(pidFile, 'utf8') === pidFileContent(brokerPid)) fs.rmSync(pidFile);
  } catch {
    /* already gone */
  }
}

/** EPERM means the pid exists but belongs to another user: alive all the same. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Kills a broker left running on this data directory by a parent that died without stopping it
 * (SIGKILL, OOM): the broker runs in its own process group, so nothing else ends it, and it would
 * hold the port and the log directory's lock. Only an orphan is killed: a broker whose parent is
 * still alive belongs to a running pipeline, and a second start on its data directory is refused
 * before it touches anything there. The pid is trusted only while /proc says it is still a
 * kafka.Kafka process started with this data directory's server.properties, so a reused pid is
 * left alone.
 */
export async function killStaleBroker(dataDir: string, propsFile: string, log: (msg: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, PID_FILE);
  const isOurBroker = (pid: number): boolean => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('kafka.Kafka') && argv.includes(propsFile);
    } catch {
      return false; // gone, or no /proc (not Linux): nothing we can safely kill
    }
  };
  let brokerPid: number, parentPid: number;
  try {
    [brokerPid, parentPid] = fs.readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    return;
  }
  if (!Number.isInteger(brokerPid) || brokerPid <= 0 || !isOurBroker(brokerPid)) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  if (Number.isInteger(parentPid) && parentPid > 0 && isAlive(parentPid)) {
    throw new Error(
      `a Kafka broker (pid ${brokerPid}, started by pid ${parentPid}) is already running on ${dataDir}; ` +
        'stop that pipeline first or use another data directory',
    );
  }
  log(`Killing a stale Kafka broker (pid ${brokerPid}) left running on ${dataDir} by a process that is gone`);
  process.kill(brokerPid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (isOurBroker(brokerPid)) {
    if (Date.now() > deadline) {
      throw new Error(`a stale Kafka broker (pid ${brokerPid}) on ${dataDir} did not die after SIGKILL`);
    }
    await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * Before a data directory is deleted (`finsent start --fresh`): refuses while a live pipeline's
 * broker runs on it and kills an orphaned one, which would otherwise keep the port.
 */
export function releaseBrokerDataDir(dataDir: string, log: (msg: string) => void = () => {}): Promise<void> {
  const dir = path.resolve(dataDir);
  return killStaleBroker(dir, path.join(dir, 'server.properties'), log);
}
