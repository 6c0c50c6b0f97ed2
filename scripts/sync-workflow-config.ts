/**
 * Writes assets/workflow-config.private.json from the live Workflow (TWILIO_WORKFLOW_SID) and the
 * workspace's TaskQueues list, for the lookup-queue-sid Function. `npm run sync:workflow -- --help`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadWorkflowSyncConfig } from '../src/config';
import { describeEnvironment, readEnvironment } from '../src/env-file';
import { ConfigError, describeError, WorkflowConfigError } from '../src/errors';
import { clientFromCredentials, createTaskRouterClient } from '../src/taskrouter/client';
import { MAX_PAGE_SIZE } from '../src/taskrouter/reader';
import { parseWorkflowConfiguration, type WorkflowConfigAsset } from '../src/workflow-config';

const USAGE = `Usage: npm run sync:workflow -- [--out <file>] [--help]

Reads the Workflow TWILIO_WORKFLOW_SID and the TaskQueues of TWILIO_WORKSPACE_SID and writes the asset
the lookup-queue-sid Function reads (default: assets/workflow-config.private.json). Deploy afterwards.

Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET),
TWILIO_WORKSPACE_SID, TWILIO_WORKFLOW_SID; optional TASKROUTER_API_URL.
Exit status: 0 written, 1 TaskRouter failed, 2 bad options or environment.`;

async function main(): Promise<number> {
  let out: string;
  let config;
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: 'string' }, help: { type: 'boolean', default: false } }, strict: true });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    out = values.out ?? join(__dirname, '..', 'assets', 'workflow-config.private.json');
    const environment = readEnvironment();
    process.stderr.write(`${describeEnvironment(environment)}\n`);
    config = loadWorkflowSyncConfig(environment.values);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describeError(error)}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const { client } = createTaskRouterClient(clientFromCredentials(config.twilio), { baseUrl: config.taskRouterApiUrl, requestTimeoutMs: config.requestTimeoutMs, deadline: Date.now() + 120_000 });
    const workspace = client.taskrouter.v1.workspaces(config.workspaceSid);
    const [workflow, queues] = await Promise.all([workspace.workflows(config.workflowSid).fetch(), workspace.taskQueues.list({ pageSize: MAX_PAGE_SIZE })]);
    let configuration: unknown;
    try {
      configuration = JSON.parse(workflow.configuration);
    } catch {
      throw new WorkflowConfigError(`Workflow ${config.workflowSid} has a configuration that is not JSON`);
    }
    const asset: WorkflowConfigAsset = {
      workspaceSid: config.workspaceSid,
      workflowSid: config.workflowSid,
      syncedAt: new Date().toISOString(),
      queues: queues.map((queue) => ({ queueSid: queue.sid, queueName: queue.friendlyName })),
      configuration: parseWorkflowConfiguration(configuration, `Workflow ${config.workflowSid} configuration`),
    };
    writeFileSync(out, `${JSON.stringify(asset, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify({ event: 'sync-workflow', outcome: 'written', file: out, queues: asset.queues.length, filters: asset.configuration.task_routing.filters.length })}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${JSON.stringify({ event: 'sync-workflow', outcome: 'failed', error: describeError(error) })}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
