/** A progress bar on stderr for long CLI work (silent when stderr is not a terminal, except a final line). */
import { SingleBar, Presets } from 'cli-progress';

export function progressBar(label: string, total: number, unit = 'items') {
  const tty = Boolean(process.stderr.isTTY);
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      noTTYOutput: false,
      notTTYSchedule: 5_000,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  let done = 0;
  bar.start(total, 0, { rate: '0' });
  return {
    increment(n = 1) {
      done += n;
      const secs = (Date.now() - started) / 1000;
      bar.update(done, { rate: secs > 0 ? (done / secs).toFixed(0) : '0' });
    },
    setTotal(t: number) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
      if (!tty)
        process.stderr.write(`${label}: ${done}/${total} ${unit} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}
