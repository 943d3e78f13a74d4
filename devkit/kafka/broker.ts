/**
 * Local single-node Apache Kafka broker (KRaft, combined broker+controller) for dev runs and tests.
 *
 * The broker runs from the official jars on Maven Central (resolved by devkit/kafka/pom.xml into
 * `.cache/kafka/<version>/libs`), as a child process of the calling Node process.
 *
 * Why Kafka 3.9.x: kafkajs 2.2.4 is unmaintained (last release 2023) and negotiates old protocol
 * versions; Kafka 4.0 removed the oldest ones (KIP-896). 3.9 is the last line serving all of them.
 * Verified: devkit/kafka/broker.test.ts passes against 3.9.2. Probe against Kafka 4.1.0 (same
 * server.properties): admin connect/describeCluster/createTopics/describeConfigs/
 * alterConfigs/createPartitions/list+describe+deleteGroups/setOffsets/deleteTopicRecords/
 * deleteTopics, idempotent + plain + gzip produce, consumer-group consume + commit and a
 * transaction with sendOffsets all worked too - kafkajs' max API versions are above the 4.x floors.
 * So 4.x is not known-broken, but 3.9.x keeps the margin (and log4j 1.x config; 4.x uses log4j2).
 *
 * Start-up time, 2-core Debian VM, JDK 17: see startKafkaBroker in process.ts for the numbers.
 *
 * This file is the public entry that callers import; the work is split by concern:
 *   jars.ts          java + fetching the jars with Maven (KAFKA_VERSION lives there, next to the pom it matches)
 *   config-files.ts  JVM flags / log4j, server.properties, formatting the KRaft storage
 *   process.ts       spawning, readiness, stop/kill/restart, killing brokers when Node exits
 *   pid-file.ts      broker.pid: finding brokers orphaned on a data dir (releaseBrokerDataDir)
 *   network.ts       free ports and the readiness probe
 *   topics.ts        createTopics for the standalone CLI and the broker test
 */
export { KAFKA_VERSION, ensureKafkaJars } from './jars.js';
export { getFreePort } from './network.js';
export { releaseBrokerDataDir } from './pid-file.js';
export { startKafkaBroker, tailFile, type KafkaBroker, type StartKafkaBrokerOptions } from './process.js';
export { createTopics, type TopicSpec } from './topics.js';
