/**
 * Local Kafka broker CLI.
 *
 *   npx tsx devkit/kafka/cli.ts start --data .finsent/kafka --port 9092
 *   npx tsx devkit/kafka/cli.ts fetch
 *   npx tsx devkit/kafka/cli.ts --help
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KAFKA_VERSION, createTopics, ensureKafkaJars, startKafkaBroker, tailFile, type TopicSpec } from './broker.js';

const HELP = `Usage: npx tsx devkit/kafka/cli.ts <command> [options]

Runs a local single-node Apache Kafka ${KAFKA_VERSION} broker (KRaft mode) from the jars on Maven Central.

Commands:
  start     Start the broker in the foreground; SIGINT/SIGTERM (Ctrl-C) stops it gracefully.
  fetch     Only download the Kafka jars (Maven) into .cache/kafka/${KAFKA_VERSION}/libs.

Options for start:
  --data <dir>             Data dir (server.properties, kafka-logs/, broker.log) [default: .finsent/kafka]
  --port <n>               PLAINTEXT port, 0 = pick a free one              [default: 9092]
  --controller-port <n>    KRaft controller port, 0 = pick a free one       [default: 0]
  --host <addr>            Listen/advertise address                         [default: 127.0.0.1]
  --heap-mb <n>            JVM max heap in MiB                              [default: 512]
  --partitions <n>         num.partitions for topics without explicit count [default: 1]
  --log-file <file>        Broker output                                    [default: <data>/broker.log]
  --topic <name[:parts]>   Create a topic once the broker is up (repeatable)
  --timeout <s>            Start-up timeout in seconds                      [default: 60]

Common:
  -q, --quiet              Only print errors
  -h, --help               Show this help
`;

function int(name: string, value: string | undefined, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return n;
}

/**
 * Run the CLI with the given arguments (without node/script), e.g. `['start', '--port', '9092']`.
 * Resolves with the exit code; `start` resolves only after the broker stopped (signal or crash).
 */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      host: { type: 'string' },
      'heap-mb': { type: 'string' },
      partitions: { type: 'string' },
      'log-file': { type: 'string' },
      topic: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const cmd = positionals[0];
  if (values.help || !cmd) {
    process.stdout.write(HELP);
    return values.help ? 0 : 1;
  }
  const log = values.quiet ? () => {} : (msg: string) => console.error(`[kafka] ${msg}`);

  if (cmd === 'fetch') {
    const libs = await ensureKafkaJars({ log });
    console.log(libs);
    return 0;
  }
  if (cmd !== 'start') {
    console.error(`Unknown command '${cmd}'.\n`);
    process.stderr.write(HELP);
    return 1;
  }

  const topics: TopicSpec[] = (values.topic ?? []).map((spec) => {
    const [topic, parts] = spec.split(':');
    if (!topic) throw new Error(`bad --topic '${spec}'`);
    return { topic, partitions: int('topic partitions', parts, 1) || 1 };
  });
  const dataDir = path.resolve(values.data ?? '.finsent/kafka');

  const broker = await startKafkaBroker({
    dataDir,
    port: int('port', values.port, 9092),
    controllerPort: int('controller-port', values['controller-port'], 0),
    host: values.host,
    heapMb: int('heap-mb', values['heap-mb'], 512),
    numPartitions: int('partitions', values.partitions, 1) || 1,
    logFile: values['log-file'],
    startTimeoutMs: int('timeout', values.timeout, 60) * 1000,
    log,
  });
  if (topics.length > 0) {
    await createTopics(broker.brokers, topics);
    log(`Topics ready: ${topics.map((t) => `${t.topic}(${t.partitions})`).join(', ')}`);
  }
  log(`Broker log: ${broker.logFile}. Press Ctrl-C to stop.`);
  console.log(broker.brokers);

  let stopping = false;
  const crashed = broker.exited().then(({ code, signal }) => {
    if (stopping) return 0;
    console.error(`[kafka] Broker exited unexpectedly (${code ?? signal}). Last lines of ${broker.logFile}:`);
    console.error(tailFile(broker.logFile));
    return 1;
  });
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log(`${sig} received, stopping broker (pid ${broker.pid}) ...`);
      void broker.stop().then(
        () => resolve(0),
        (err: unknown) => {
          console.error(err);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
  });
  const code = await Promise.race([stopped, crashed]);
  if (code === 0) log('Broker stopped.');
  return code;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Run only when executed directly (`tsx devkit/kafka/cli.ts ...`), not when imported (cli/commands/kafka.ts).
if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[kafka] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
