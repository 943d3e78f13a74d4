/** The broker's sockets as seen from Node: picking free ports for it, and telling when clients can use it. */
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

/** Ask the OS for a free TCP port on host. */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** One quick describeCluster with a throwaway, silent kafkajs admin. */
async function describeOk(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'finsent-broker-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * An open port alone is not "ready": the broker listens before it has unfenced and can serve metadata.
 * The plain socket check comes first because it is cheap, and a kafkajs admin would only time out before.
 */
export async function brokerReady(host: string, port: number): Promise<boolean> {
  return (await canConnect(host, port, 500)) && (await describeOk(`${host}:${port}`));
}
