/** A Kafka bus for a CLI command that sends or reads a few records, closed after, a failure reported (exit 1). */
import { createKafkajsBus, createLogger, errorMessage, type Bus } from '@finsent/shared';

export async function withBus(
  command: string,
  config: { KAFKA_BROKERS: string[]; LOG_LEVEL: string },
  work: (bus: Bus) => Promise<number>,
): Promise<number> {
  // Quiet unless asked: a command's own output is what the user reads.
  const logger = createLogger(command, process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn');
  const bus = createKafkajsBus({ brokers: config.KAFKA_BROKERS, clientId: `finsent-${command}`, logger });
  try {
    return await work(bus);
  } catch (err) {
    process.stderr.write(`finsent ${command}: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await bus.close();
  }
}
