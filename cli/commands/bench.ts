/** finsent bench classify | e2e: benchmarks that print their figures, last line JSON. */
const HELP = `Usage: finsent bench <classify|e2e> [options]   (finsent bench <name> --help)

  classify  bare onnxruntime-node vs the classify service (Kafka in → Kafka out), same model/batch/threads
  e2e       the whole pipeline at a sustained rate: items/s, publish→ClickHouse latency, spike→alert delay, peak RSS per service
`;

export async function run(argv: string[]): Promise<number> {
  const [which, ...rest] = argv;
  if (which === 'classify') return (await import('../bench/classify.js')).benchClassify(rest);
  if (which === 'e2e') return (await import('../bench/e2e.js')).benchE2e(rest);
  process.stdout.write(HELP);
  return which === '--help' || which === '-h' ? 0 : 2;
}
