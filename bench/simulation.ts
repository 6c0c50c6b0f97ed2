/**
 * Simulation benchmark: how fast the simulated contact center runs at scale (5,000 queues, 20,000
 * workers, an hour of traffic), and that its memory stays bounded over a long run (statistics logs
 * are pruned past the retention). `npm run bench:simulation -- --help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Simulation } from '../dev/simulation/engine';
import { benchOptions, scenarioOption } from './cli';

const USAGE = `Usage: npm run bench:simulation -- [--scenario scale] [--hours 1] [--long-hours 12]

Runs --scenario for --hours of simulated time and reports wall time, events and memory; then keeps
running to --long-hours, sampling the heap every simulated hour, to show memory stays bounded.`;

function heapMb(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

function main(): void {
  const values = benchOptions({ scenario: { type: 'string' }, hours: { type: 'string' }, 'long-hours': { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (!values) return;
  const scenario = scenarioOption(values.scenario ?? 'scale', USAGE);
  const hours = Number(values.hours ?? 1);
  const longHours = Number(values['long-hours'] ?? 12);
  if (!(hours > 0) || !(longHours >= hours)) {
    process.stderr.write(`bad options\n\n${USAGE}\n`);
    process.exit(2);
  }
  const startMs = Date.parse('2026-03-02T08:00:00Z');
  const before = heapMb();
  const started = performance.now();
  const sim = new Simulation(scenario, { startMs, retentionMinutes: 60 });
  const workers = scenario.workers.reduce((sum, group) => sum + Math.max(...group.staffing.map(([, count]) => count)), 0);
  sim.advanceTo(startMs + hours * 3_600_000);
  const firstMs = performance.now() - started;
  const firstEvents = sim.counters.events;
  const rows = ['| simulated hour | tasks so far | events so far | heap MB |', '| --- | --- | --- | --- |'];
  rows.push(`| ${hours} | ${sim.counters.tasks} | ${sim.counters.events} | ${heapMb().toFixed(0)} |`);
  for (let hour = hours + 1; hour <= longHours; hour++) {
    sim.advanceTo(startMs + hour * 3_600_000);
    rows.push(`| ${hour} | ${sim.counters.tasks} | ${sim.counters.events} | ${heapMb().toFixed(0)} |`);
  }
  const totalMs = performance.now() - started;
  const markdown = `Written by \`npm run bench:simulation\` (node ${process.version}). Scenario ${scenario.name}: ${scenario.queues.length} queues, ${workers} workers, heap ${before.toFixed(0)} MB before.\n\n${rows.join('\n')}\n\n${longHours} simulated hours in ${(totalMs / 1000).toFixed(1)} s wall (${(sim.counters.events / (totalMs / 1000) / 1000).toFixed(0)}k events/s).\nsimulation: ${hours} hour(s) of ${scenario.queues.length} queues and ${workers} workers in ${(firstMs / 1000).toFixed(1)} s (${firstEvents} events)\n`;
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'simulation.md'), markdown);
  }
  process.stdout.write(markdown);
}

main();
