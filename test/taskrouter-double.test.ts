/** The TaskRouter API double: wire shapes validated against Twilio's own OpenAPI spec, paging, auth, limits. */
import twilio from 'twilio';
import { startTaskRouterDouble, type TaskRouterDouble } from '../dev/taskrouter-double';
import { staticWorkspace } from '../dev/workspace-model';
import { Simulation } from '../dev/simulation/engine';
import { loadScenario } from '../dev/simulation/scenario';
import { observationFrom } from '../src/taskrouter/reader';
import { TaskRouterHttpClient } from '../src/taskrouter/http-client';
import { specValidators, type OpenApiSpec } from './openapi';

// Twilio's published spec (twilio-oai), as shipped inside @twilio-alpha/mcp.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const spec = require('@twilio-alpha/mcp/twilio-oai/spec/json/twilio_taskrouter_v1.json') as OpenApiSpec & { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>> };
const { compile } = specValidators(spec);

function validatorFor(path: string) {
  const schema = spec.paths[path]!['get']!.responses['200']!.content['application/json']!.schema;
  return compile(schema);
}

const model = staticWorkspace({ queueCount: 2500, seed: 3 });
const AUTH = 'double-auth-token';
let double: TaskRouterDouble;
const get = (path: string, auth = `${model.accountSid}:${AUTH}`) => fetch(`${double.url}${path}`, { headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } });

beforeAll(async () => {
  double = await startTaskRouterDouble({ model, authToken: AUTH });
});
afterAll(() => double.close());

describe('TaskRouter API double', () => {
  const ws = model.workspaceSid;
  const queue = model.queues()[0]!.sid;
  const workflow = model.workflows()[0]!.sid;

  it.each([
    ['/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics', `/v1/Workspaces/${ws}/TaskQueues/Statistics?PageSize=3&Minutes=30&TaskChannel=voice`],
    ['/v1/Workspaces/{WorkspaceSid}/TaskQueues', `/v1/Workspaces/${ws}/TaskQueues?PageSize=3`],
    ['/v1/Workspaces/{WorkspaceSid}/TaskQueues/{TaskQueueSid}/CumulativeStatistics', `/v1/Workspaces/${ws}/TaskQueues/${queue}/CumulativeStatistics?Minutes=15`],
    ['/v1/Workspaces/{WorkspaceSid}/TaskQueues/{TaskQueueSid}/RealTimeStatistics', `/v1/Workspaces/${ws}/TaskQueues/${queue}/RealTimeStatistics`],
    ['/v1/Workspaces/{WorkspaceSid}/Workflows/{Sid}', `/v1/Workspaces/${ws}/Workflows/${workflow}`],
    ['/v1/Workspaces/{Sid}', `/v1/Workspaces/${ws}`],
  ])('answers %s in the shape of the official spec', async (specPath, url) => {
    const response = await get(url);
    expect(response.status).toBe(200);
    const body = await response.json();
    const validate = validatorFor(specPath);
    const valid = validate(body);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('has a validator that catches a wrong shape', () => {
    const validate = validatorFor('/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics');
    expect(validate({ task_queues_statistics: [{ task_queue_sid: 'not-a-sid' }], meta: { page: 0 } })).toBe(false);
    expect(validate({ task_queues_statistics: 'nope' })).toBe(false);
  });

  it('pages with absolute next_page_url until the last page', async () => {
    let url: string | null = `/v1/Workspaces/${ws}/TaskQueues/Statistics?PageSize=1000`;
    const seen: string[] = [];
    while (url) {
      const body = (await (await get(url.replace(double.url, ''))).json()) as { task_queues_statistics: { task_queue_sid: string }[]; meta: { next_page_url: string | null } };
      seen.push(...body.task_queues_statistics.map((item) => item.task_queue_sid));
      url = body.meta.next_page_url;
      if (url) expect(url.startsWith(double.url)).toBe(true);
    }
    expect(seen).toHaveLength(2500);
    expect(new Set(seen).size).toBe(2500);
  });

  it('refuses bad credentials and bad parameters as TaskRouter does', async () => {
    expect((await get(`/v1/Workspaces/${ws}/TaskQueues`, `${model.accountSid}:wrong`)).status).toBe(401);
    expect((await get(`/v1/Workspaces/${ws}/TaskQueues?PageSize=1001`)).status).toBe(400);
    expect((await get(`/v1/Workspaces/${ws}/TaskQueues/Statistics?Minutes=5&StartDate=2026-01-01T00:00:00Z`)).status).toBe(400);
    const missing = await get(`/v1/Workspaces/WS${'0'.repeat(32)}/TaskQueues`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 20404, status: 404 });
  });

  it('answers 429 with code 20429 above its rate limit', async () => {
    const limited = await startTaskRouterDouble({ model, authToken: AUTH, rateLimitPerSecond: 2, retryAfterSeconds: 1 });
    try {
      const auth = { Authorization: `Basic ${Buffer.from(`${model.accountSid}:${AUTH}`).toString('base64')}` };
      const statuses = await Promise.all([1, 2, 3, 4].map(() => fetch(`${limited.url}/v1/Workspaces/${ws}/TaskQueues`, { headers: auth })));
      const rejected = statuses.filter((response) => response.status === 429);
      expect(rejected.length).toBe(2);
      expect(rejected[0]!.headers.get('retry-after')).toBe('1');
      expect(await rejected[0]!.json()).toMatchObject({ code: 20429, status: 429 });
    } finally {
      await limited.close();
    }
  });

  it('is read by the real twilio client, which follows next_page_url', async () => {
    const httpClient = new TaskRouterHttpClient({ baseUrl: double.url, requestTimeoutMs: 5000, deadline: Date.now() + 30_000 });
    const client = twilio(model.accountSid, AUTH, { httpClient });
    const stats = await client.taskrouter.v1.workspaces(ws).taskQueues.statistics.list({ pageSize: 1000, minutes: 15 });
    expect(stats).toHaveLength(2500);
    expect(new Set(stats.map((item) => item.taskQueueSid))).toEqual(new Set(model.queues().map((item) => item.sid)));
    // Only top-level keys are camelCased by the client; inside, the wire's snake_case remains.
    expect(stats[0]!.realtime).toHaveProperty('tasks_by_status');
    expect(httpClient.counters.requests).toBe(3);
  });

  describe('TaskRouter\'s worker meanings and the lean field set', () => {
    const sim = new Simulation(loadScenario('demo'), { startMs: Date.parse('2026-03-02T08:00:00Z') });
    sim.advanceTo(sim.now() + 30 * 60_000);
    let simDouble: TaskRouterDouble;
    let lean: TaskRouterDouble;
    beforeAll(async () => {
      simDouble = await startTaskRouterDouble({ model: sim, authToken: AUTH });
      lean = await startTaskRouterDouble({ model: sim, authToken: AUTH, lean: true });
    });
    afterAll(async () => {
      await simDouble.close();
      await lean.close();
    });
    const statsPath = `/v1/Workspaces/${sim.workspaceSid}/TaskQueues/Statistics?PageSize=50&Minutes=15&TaskChannel=voice&SplitByWaitTime=60`;
    const read = async (server: TaskRouterDouble) =>
      (await (await fetch(`${server.url}${statsPath}`, { headers: { Authorization: `Basic ${Buffer.from(`${sim.accountSid}:${AUTH}`).toString('base64')}` } })).json()) as { task_queues_statistics: { cumulative: Record<string, unknown>; realtime: Record<string, unknown> }[] };

    it('serves the simulation in the spec\'s shape, full and lean', async () => {
      const validate = validatorFor('/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics');
      for (const server of [simDouble, lean]) {
        expect(validate(await read(server))).toBe(true);
        expect(validate.errors ?? []).toEqual([]);
      }
    });

    it('full: activity_statistics, eligible in any Activity, split_by_wait_time when asked', async () => {
      const body = await read(simDouble);
      expect(body.task_queues_statistics.length).toBeGreaterThan(0);
      for (const { realtime, cumulative } of body.task_queues_statistics) {
        const perActivity = realtime['activity_statistics'] as { friendly_name: string; workers: number }[];
        expect(perActivity.map((item) => item.friendly_name)).toEqual(['Offline', 'Available', 'Unavailable', 'Break']);
        expect(perActivity.reduce((sum, item) => sum + item.workers, 0)).toBe(realtime['total_eligible_workers']);
        expect(realtime['total_available_workers']).toBe(perActivity.find((item) => item.friendly_name === 'Available')!.workers);
        expect(Object.keys(realtime['tasks_by_status'] as object).sort()).toEqual(['assigned', 'pending', 'reserved', 'wrapping']);
        expect(cumulative['split_by_wait_time']).toHaveProperty('60.below.reservations_accepted');
        expect(typeof cumulative['avg_task_acceptance_time']).toBe('number');
      }
    });

    it('lean: exactly the fields of the spec\'s own example, and the estimator still gets numbers', async () => {
      const example = (spec.paths['/v1/Workspaces/{WorkspaceSid}/TaskQueues/Statistics']!['get']!.responses['200']!.content['application/json'] as unknown as { examples: { readFull: { value: { task_queues_statistics: { cumulative: object; realtime: object }[] } } } }).examples.readFull.value.task_queues_statistics[0]!;
      const body = await read(lean);
      expect(body.task_queues_statistics.length).toBeGreaterThan(0);
      for (const { cumulative, realtime } of body.task_queues_statistics) {
        expect(Object.keys(cumulative).sort()).toEqual(Object.keys(example.cumulative).sort());
        expect(Object.keys(realtime).sort()).toEqual(Object.keys(example.realtime).sort());
      }
      const busy = body.task_queues_statistics.map(({ cumulative, realtime }) => observationFrom(cumulative, realtime, 15)).filter((o) => (o.tasksAccepted ?? 0) > 0);
      expect(busy.length).toBeGreaterThan(0);
      for (const o of busy) {
        expect(o.waitDurationsReported).toBe(false);
        expect(o.avgWaitUntilAcceptedSeconds).not.toBeNull();
        expect(o.loggedInWorkers).not.toBeNull();
      }
    });
  });
});
