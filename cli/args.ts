/** Command-line arguments as every finsent command reads them: parsed, `--help` answered, a usage error exit 2. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage } from '@finsent/shared';

/**
 * `parseArgs(config)` for `finsent <command>`; an exit status instead when there is nothing more to do: 0 after
 * printing `help` for --help (the options must declare it), 2 after a usage error with the usage on stderr.
 */
export function parseCommand<T extends ParseArgsConfig>(
  command: string,
  help: string,
  config: T,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    process.stderr.write(`finsent ${command}: ${errorMessage(err)}\n\n${help}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return 0;
  }
  return parsed;
}
