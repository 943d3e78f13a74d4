/**
 * CI-sized `finsent chaos`: broker SIGKILL, classify SIGKILL, store/ClickHouse SIGKILL with an
 * outage, webhook 500s and 429s, and poison on the raw topic, under a steady load. Nothing may be
 * lost or counted twice, every poison message must be dead-lettered with its reason, and every
 * alert fired must reach the receiver exactly once.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../cli/chaos/scenario.js';

describe('chaos (CI size)', () => {
  it('loses nothing and duplicates nothing through crashes and outages', async () => {
    const report = await runChaos({
      durationS: 40,
      rate: 30,
      brokerDownS: 3,
      clickhouseDownS: 6,
      log: (m) => process.stderr.write(`[chaos] ${m}\n`),
    });
    process.stderr.write(`[chaos] ${JSON.stringify(report)}\n`);
    expect(report.sent).toBe(1200 + 5); // the load, and five items dated 2099
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.dead_letters).toBe(report.dead_letters_expected);
    expect(report.webhook_failures_injected).toBeGreaterThan(0);
    expect(report.alerts_expected).toBeGreaterThan(0);
    expect(report.burst_alerted).toBe(true);
    expect(report.alerts_delivered).toBe(report.alerts_expected);
  }, 420_000);
});
