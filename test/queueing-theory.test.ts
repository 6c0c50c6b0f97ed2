/**
 * The simulation against queueing theory, on stationary single-queue scenarios: the Pollaczek–Khinchine
 * mean wait of M/G/1 with log-normal handle times, and Erlang C's probability of waiting and mean wait
 * of M/M/s. "Within sampling error" is judged by batch means: the run is cut into 20 batches of
 * consecutive callers, and the theory must lie within 3 standard errors of the simulated mean.
 */
import { Simulation } from '../dev/simulation/engine';
import { parseScenario } from '../dev/simulation/scenario';

const START = Date.parse('2026-03-02T00:00:00Z');
const BATCHES = 20;

/** Waits (s) of every caller of a one-queue scenario, in arrival order, after `warmUpHours`. */
function waits(scenario: object, hours: number, warmUpHours: number): number[] {
  const parsed = parseScenario({ name: 'theory', seed: 5, acceptSeconds: 0, durationMinutes: hours * 60, ...scenario });
  const byArrival: { at: number; wait: number }[] = [];
  const sim = new Simulation(parsed, { startMs: START, retentionMinutes: 20, onResolved: (task) => task.arrivedAtMs >= START + warmUpHours * 3_600_000 && byArrival.push({ at: task.arrivedAtMs, wait: task.waitSeconds }) });
  sim.advanceTo(START + hours * 3_600_000);
  return byArrival.sort((a, b) => a.at - b.at).map((item) => item.wait);
}

/** The mean and its batch-means standard error. */
function batchMeans(values: number[]): { mean: number; standardError: number } {
  const size = Math.floor(values.length / BATCHES);
  const means = Array.from({ length: BATCHES }, (_, batch) => values.slice(batch * size, (batch + 1) * size).reduce((sum, value) => sum + value, 0) / size);
  const mean = means.reduce((sum, value) => sum + value, 0) / BATCHES;
  const variance = means.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (BATCHES - 1);
  return { mean, standardError: Math.sqrt(variance / BATCHES) };
}

const oneQueue = (arrivalsPerHour: number, handleSeconds: object, agents: number) => ({
  queues: [{ name: 'Q', arrivalsPerHour: [[0, arrivalsPerHour]], handleSeconds, wrapUpSeconds: 0, patienceSeconds: null }],
  workers: [{ name: 'agents', queues: ['Q'], capacity: { voice: 1 }, staffing: [[0, agents]] }],
});

describe('the simulation reproduces queueing theory', () => {
  it('M/G/1, log-normal handle times: the Pollaczek–Khinchine mean wait', () => {
    const median = 120;
    const sigma = 0.5;
    const meanService = median * Math.exp(sigma ** 2 / 2);
    const secondMoment = median ** 2 * Math.exp(2 * sigma ** 2);
    const load = 0.7;
    const lambda = load / meanService;
    const theory = (lambda * secondMoment) / (2 * (1 - load));
    const observed = batchMeans(waits(oneQueue(lambda * 3600, { median, sigma }, 1), 3000, 20));
    // The check has teeth: the standard error is a few percent of the mean, not a wide net.
    expect(observed.standardError).toBeLessThan(0.06 * theory);
    expect(Math.abs(observed.mean - theory)).toBeLessThan(3 * observed.standardError);
  });

  it("M/M/s: Erlang C's probability of waiting and mean wait", () => {
    const agents = 4;
    const meanService = 200;
    const mu = 1 / meanService;
    const lambda = (0.8 * agents) / meanService;
    const offered = lambda / mu;
    let below = 0;
    let term = 1;
    for (let k = 0; k < agents; k++) {
      below += term;
      term *= offered / (k + 1);
    }
    const top = term * (agents / (agents - offered));
    const probabilityOfWaiting = top / (below + top);
    const meanWait = probabilityOfWaiting / (agents * mu - lambda);
    const all = waits(oneQueue(lambda * 3600, { distribution: 'exponential', mean: meanService }, agents), 3000, 20);
    const waited = batchMeans(all.map((wait) => (wait > 0 ? 1 : 0)));
    const wait = batchMeans(all);
    expect(wait.standardError).toBeLessThan(0.06 * meanWait);
    expect(Math.abs(waited.mean - probabilityOfWaiting)).toBeLessThan(3 * waited.standardError);
    expect(Math.abs(wait.mean - meanWait)).toBeLessThan(3 * wait.standardError);
  });
});
