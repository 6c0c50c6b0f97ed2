/** The simulation's statistics against values computed by hand from a scripted timeline. */
import { Simulation, type ResolvedTask } from '../dev/simulation/engine';
import { listScenarios, loadScenario, parseScenario, ScenarioError } from '../dev/simulation/scenario';

const START = Date.parse('2026-03-02T09:00:00Z');

/**
 * One worker W serves Q (voice and chat) and R (voice, priority 10); accept takes 2 s, wrap-up 10 s.
 *   Q voice t=0 handle 100  -> reserved 0, accepted 2 (wait 2), done 102, free 112
 *   Q chat  t=5 handle 20   -> reserved 5 on W's chat slot, accepted 7 (wait 2), done 27, free 37
 *   Q voice t=10 handle 50  -> waits; at 164 reserved, accepted 166 (wait 156), done 216, free 226
 *   Q voice t=20 patience 30 -> abandons at 50 (wait 30)
 *   R voice t=30 priority 10 handle 40 -> at 112 W prefers it over Q's older task: accepted 114 (wait 84), done 154, free 164
 */
const scripted = parseScenario({
  name: 'scripted',
  seed: 1,
  durationMinutes: 10,
  acceptSeconds: 2,
  queues: [
    {
      name: 'Q', channels: { voice: 1, chat: 1 }, arrivalsPerHour: [[0, 0]], handleSeconds: { median: 60, sigma: 0 }, wrapUpSeconds: 10, patienceSeconds: null,
      script: [
        { atSeconds: 0, channel: 'voice', handleSeconds: 100 },
        { atSeconds: 5, channel: 'chat', handleSeconds: 20 },
        { atSeconds: 10, channel: 'voice', handleSeconds: 50 },
        { atSeconds: 20, channel: 'voice', handleSeconds: 50, patienceSeconds: 30 },
      ],
    },
    { name: 'R', priorities: { '10': 1 }, arrivalsPerHour: [[0, 0]], handleSeconds: { median: 60, sigma: 0 }, wrapUpSeconds: 10, patienceSeconds: null, script: [{ atSeconds: 30, priority: 10, handleSeconds: 40 }] },
  ],
  workers: [{ name: 'W', queues: ['Q', 'R'], capacity: { voice: 1, chat: 1 }, staffing: [[0, 1]] }],
});

/** Eligible workers in the named Activity, from `activity_statistics`. */
function activity(realtime: Record<string, unknown>, name: string): number | undefined {
  return (realtime['activity_statistics'] as { friendly_name: string; workers: number }[]).find((item) => item.friendly_name === name)?.workers;
}

function simulate() {
  const resolved: ResolvedTask[] = [];
  const sim = new Simulation(scripted, { startMs: START, onResolved: (task) => resolved.push(task) });
  const [q, r] = sim.queues().map((queue) => queue.sid) as [string, string];
  const window = (fromSeconds: number, toSeconds: number, taskChannel?: string, splitByWaitTime?: number[]) => ({ startMs: START + fromSeconds * 1000, endMs: START + toSeconds * 1000, taskChannel, splitByWaitTime });
  return { sim, q, r, resolved, window };
}

describe('simulation statistics, by hand', () => {
  it('real-time statistics at t=60', () => {
    const { sim, q, r } = simulate();
    sim.advanceTo(START + 60_000);
    expect(sim.realtime(q, 'voice')).toMatchObject({
      tasks_by_status: { pending: 1, reserved: 0, assigned: 1, wrapping: 0 },
      longest_task_waiting_age: 50,
      longest_relative_task_age_in_queue: 50,
      total_eligible_workers: 1,
      // TaskRouter's meaning: W is on a call, but a multitasking worker's Activity stays Available.
      total_available_workers: 1,
      total_tasks: 2,
      tasks_by_priority: { '0': 1 },
    });
    expect(sim.realtime(q, 'voice')['activity_statistics']).toEqual(expect.arrayContaining([expect.objectContaining({ friendly_name: 'Available', workers: 1 }), expect.objectContaining({ friendly_name: 'Offline', workers: 0 })]));
    expect(sim.realtime(q, undefined)).toMatchObject({ tasks_by_status: { pending: 1, assigned: 1 }, total_available_workers: 1, total_eligible_workers: 1 });
    expect(sim.realtime(r, 'voice')).toMatchObject({ tasks_by_status: { pending: 1 }, longest_task_waiting_age: 30, tasks_by_priority: { '10': 1 } });
  });

  it('cumulative statistics at t=60, per channel and over all', () => {
    const { sim, q, window } = simulate();
    sim.advanceTo(START + 60_000);
    expect(sim.cumulative(q, window(0, 60, 'voice'))).toMatchObject({
      tasks_entered: 3,
      reservations_created: 1,
      reservations_accepted: 1,
      tasks_canceled: 1,
      tasks_completed: 0,
      avg_task_acceptance_time: 2,
      wait_duration_until_accepted: { avg: 2, min: 2, max: 2, total: 2 },
      wait_duration_in_queue_until_accepted: { avg: 2, min: 2, max: 2, total: 2 },
      wait_duration_until_canceled: { avg: 30, min: 30, max: 30, total: 30 },
    });
    expect(sim.cumulative(q, window(0, 60))).toMatchObject({ tasks_entered: 4, reservations_accepted: 2, tasks_completed: 1, tasks_canceled: 1 });
    expect(sim.cumulative(q, window(0, 60, 'sms'))).toMatchObject({ tasks_entered: 0, reservations_accepted: 0 });
  });

  it('priority across queues, windows and wait-time splits at t=300', () => {
    const { sim, q, r, window, resolved } = simulate();
    sim.advanceTo(START + 300_000);
    expect(sim.cumulative(r, window(0, 300, 'voice'))).toMatchObject({ reservations_accepted: 1, wait_duration_until_accepted: { avg: 84, total: 84 } });
    expect(sim.cumulative(q, window(0, 300, 'voice'))).toMatchObject({ reservations_accepted: 2, tasks_completed: 2, wait_duration_until_accepted: { avg: 79, min: 2, max: 156, total: 158 } });
    // Only the second voice task was accepted between t=100 and t=200 (at 166); nothing entered then.
    expect(sim.cumulative(q, window(100, 200, 'voice'))).toMatchObject({ tasks_entered: 0, reservations_accepted: 1, tasks_canceled: 0, wait_duration_until_accepted: { avg: 156 } });
    expect(sim.cumulative(q, window(0, 300, 'voice', [60])).split_by_wait_time).toEqual({
      '60': { above: { tasks_canceled: 0, reservations_accepted: 1 }, below: { tasks_canceled: 1, reservations_accepted: 1 } },
    });
    expect(sim.realtime(q, 'voice')).toMatchObject({ tasks_by_status: { pending: 0, reserved: 0, assigned: 0, wrapping: 0 }, total_available_workers: 1 });
    expect(resolved.map((task) => [task.outcome, task.waitSeconds])).toEqual([
      ['accepted', 2],
      ['accepted', 2],
      ['abandoned', 30],
      ['accepted', 84],
      ['accepted', 156],
    ]);
  });

  it('is deterministic for a seed', () => {
    const run = () => {
      const sim = new Simulation(loadScenario('multi-skill'), { startMs: START });
      sim.advanceTo(START + 90 * 60_000);
      return JSON.stringify(sim.queues().map((queue) => [sim.realtime(queue.sid, undefined), sim.cumulative(queue.sid, { startMs: START, endMs: sim.now(), taskChannel: undefined, splitByWaitTime: undefined })]));
    };
    expect(run()).toBe(run());
  });

  it('single-tasking: a worker holding a task is moved to Unavailable, and back after wrap-up', () => {
    const sim = new Simulation({ ...scripted, workspaceMode: 'single-tasking' }, { startMs: START });
    const [q] = sim.queues().map((queue) => queue.sid) as [string];
    sim.advanceTo(START + 1_000);
    expect(sim.realtime(q, 'voice')).toMatchObject({ total_eligible_workers: 1, total_available_workers: 0 });
    expect(activity(sim.realtime(q, 'voice'), 'Unavailable')).toBe(1);
    // Single-tasking: the chat at t=5 cannot go to W, who holds the voice task until 112.
    sim.advanceTo(START + 60_000);
    expect(sim.realtime(q, 'chat')).toMatchObject({ tasks_by_status: { pending: 1 } });
    sim.advanceTo(START + 113_000);
    // Wrap-up ended at 112: W went back to Available and took the next task at once (Unavailable again).
    expect(activity(sim.realtime(q, 'voice'), 'Unavailable')).toBe(1);
  });

  it('staffing: logged-out workers stay eligible, in Offline; breaks move workers to Break', () => {
    const sim = new Simulation(loadScenario('staffing-drop'), { startMs: START });
    const queue = sim.queues()[0]!.sid;
    sim.advanceTo(START + 30 * 60_000);
    expect(sim.realtime(queue, 'voice')['total_eligible_workers']).toBe(7);
    expect(activity(sim.realtime(queue, 'voice'), 'Offline')).toBe(0);
    sim.advanceTo(START + 90 * 60_000);
    expect(sim.realtime(queue, 'voice')['total_eligible_workers']).toBe(7);
    expect(activity(sim.realtime(queue, 'voice'), 'Offline')).toBe(3);
    expect(sim.realtime(queue, 'voice')['total_available_workers']).toBe(4);

    const onBreak = new Simulation({ ...scripted, workers: [{ ...scripted.workers[0]!, breaks: [{ atMinute: 1, minutes: 2, workers: 1 }] }] }, { startMs: START });
    const [q] = onBreak.queues().map((item) => item.sid) as [string];
    onBreak.advanceTo(START + 90_000);
    expect(activity(onBreak.realtime(q, 'voice'), 'Break')).toBe(1);
    expect(onBreak.realtime(q, 'voice')['total_available_workers']).toBe(0);
    onBreak.advanceTo(START + 200_000);
    expect(activity(onBreak.realtime(q, 'voice'), 'Available')).toBe(1);
  });
});

describe('scenario files', () => {
  it('ships the scenarios the benchmarks and the demo need', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(['demo', 'steady', 'morning-ramp', 'surge', 'staffing-drop', 'low-volume', 'multi-skill', 'scale']));
    const demo = loadScenario('demo');
    expect(demo.queues.length).toBeGreaterThanOrEqual(6);
    expect(demo.queues.map((queue) => queue.name)).toContain('Support');
    expect(loadScenario('scale').queues).toHaveLength(5000);
  });

  it('refuses a malformed scenario with every problem named', () => {
    let error: unknown;
    try {
      parseScenario({ name: '', durationMinutes: -1, queues: [{ name: 'A', arrivalsPerHour: [[5, 1], [2, 1]], handleSeconds: {} }], workers: [{ name: 'w', queues: ['B'], staffing: 'x' }] }, 'bad.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const message = (error as Error).message;
    expect(message).toMatch(/bad\.json: name must be a non-empty string/);
    expect(message).toMatch(/durationMinutes must be a number/);
    expect(message).toMatch(/arrivalsPerHour\[1\]\[0\] must be later/);
    expect(message).toMatch(/handleSeconds\.median/);
    expect(message).toMatch(/names an unknown queue "B"/);
    expect(message).toMatch(/workers\[0\]\.staffing must be a non-empty array/);
    expect(() => loadScenario('no-such-scenario')).toThrow(/known: .*demo/);
  });
});
