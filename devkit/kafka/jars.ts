/**
 * The Kafka runtime: a Java binary and the Kafka jars from Maven Central, resolved by pom.xml into
 * `<repoRoot>/.cache/kafka/<version>/libs`. Fetched once per version/pom change; later calls only stat files.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../run-command.js';

/** Kafka version used by the project. Keep in sync with <kafka.version> in pom.xml. */
export const KAFKA_VERSION = '3.9.2';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'pom.xml');
const DEFAULT_REPO_ROOT = path.resolve(HERE, '..', '..');
const STAMP_FILE = '.complete';

/** Resolve the command for java: $JAVA_HOME/bin/java when set, else `java` from PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

/** Fails early with an install hint, rather than with a bare ENOENT from Maven or the broker spawn. */
export async function assertJava(): Promise<void> {
  const res = await runCommand(javaBin(), ['-version'], {
    missingHint:
      'Kafka needs a Java runtime (JDK/JRE 17+), e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME.',
  });
  if (res.code !== 0) throw new Error(`'java -version' failed (exit ${res.code}):\n${res.output}`);
}

/** Part of the stamp, so that editing pom.xml (new deps, new version) triggers a fresh fetch. */
function pomHash(): string {
  return createHash('sha256').update(fs.readFileSync(POM)).digest('hex').slice(0, 16);
}

/** Remove `libs.tmp-<pid>-*` dirs left behind by fetches that were killed (their pid is gone). */
function removeStaleTempDirs(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const m = /^libs\.tmp-(\d+)-/.exec(name);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

function cacheDirFor(repoRoot: string): string {
  return path.join(repoRoot, '.cache', 'kafka', KAFKA_VERSION);
}

/**
 * Make sure the Kafka jars are in `<repoRoot>/.cache/kafka/<version>/libs` and return that dir.
 * Runs Maven only when the folder is missing or incomplete: a stamp file (with a hash of pom.xml)
 * is written after a successful download, and Maven downloads into a temp dir that is renamed into
 * place, so an interrupted or concurrent download never leaves a half-filled libs dir behind.
 * Cold fetch (empty ~/.m2) takes ~8 s on the dev VM; a warm call is a couple of stat()s.
 */
export async function ensureKafkaJars(opts: { repoRoot?: string; log?: (msg: string) => void } = {}): Promise<string> {
  const repoRoot = path.resolve(opts.repoRoot ?? DEFAULT_REPO_ROOT);
  const log = opts.log ?? (() => {});
  const cacheDir = cacheDirFor(repoRoot);
  const libs = path.join(cacheDir, 'libs');
  const stamp = path.join(cacheDir, STAMP_FILE);
  const expected = `${KAFKA_VERSION} ${pomHash()}`;
  const mainJar = path.join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`);

  const stampOk = (): boolean => {
    try {
      return fs.readFileSync(stamp, 'utf8').trim() === expected && fs.existsSync(mainJar);
    } catch {
      return false;
    }
  };
  if (stampOk()) return libs;

  await assertJava();
  fs.mkdirSync(cacheDir, { recursive: true });
  removeStaleTempDirs(cacheDir);
  const tmp = path.join(cacheDir, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  log(`Fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libs} ...`);
  const t0 = Date.now();
  try {
    const res = await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        POM,
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${tmp}`, // absolute: a relative dir would resolve against the pom's folder
        '-DincludeScope=runtime',
      ],
      { missingHint: 'Install Maven 3.6+ (`apt-get install maven`) to fetch the Kafka jars from Maven Central.' },
    );
    if (res.code !== 0) {
      const exit = res.code ?? res.signal;
      throw new Error(`Maven failed to fetch the Kafka jars (exit ${exit}):\n${res.output.slice(-4000)}`);
    }
    if (!fs.existsSync(path.join(tmp, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
      throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing in ${tmp}`);
    }
    if (stampOk()) return libs; // someone else finished first
    fs.rmSync(libs, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, libs);
    } catch (err) {
      // Lost a race with a concurrent fetch that renamed its own dir into place.
      if (!fs.existsSync(mainJar)) throw err;
    }
    fs.writeFileSync(stamp, expected + '\n');
    log(`Fetched Kafka jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return libs;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
