import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowConfigError } from '../src/errors';
import { findQueueByName, parseWorkflowConfigAsset } from '../src/workflow-config';
import { staticWorkspace } from '../dev/workspace-model';
import { startLocalStack } from '../dev/local-stack';

const run = promisify(execFile);
const root = join(__dirname, '..');
const committed = readFileSync(join(root, 'assets', 'workflow-config.private.json'), 'utf8');

describe('workflow-config asset', () => {
  const asset = parseWorkflowConfigAsset(committed);

  it('looks names up trimmed and case-insensitively, queue names before filter names', () => {
    expect(findQueueByName(asset, '  SUPPORT ')).toEqual({ queueSid: asset.queues[0]!.queueSid, queueName: 'Support' });
    expect(findQueueByName(asset, 'sales line')?.queueName).toBe('Sales');
    expect(findQueueByName(asset, 'nobody')).toBeNull();
  });

  it.each([
    ['{not json', /is not valid JSON/],
    ['[]', /must hold a JSON object/],
    [JSON.stringify({ ...JSON.parse(committed), workspaceSid: 'WSx' }), /workspaceSid must be a Workspace SID/],
    [JSON.stringify({ ...JSON.parse(committed), queues: [{ queueSid: 'nope' }] }), /queues\[0\] must have a queueSid/],
    [JSON.stringify({ ...JSON.parse(committed), configuration: { task_routing: { filters: [{ targets: [{ queue: 'x' }] }] } } }), /filters\[0\]\.targets\[0\]\.queue must be a TaskQueue SID/],
  ])('refuses a corrupt asset with one clear message (%#)', (text, message) => {
    expect(() => parseWorkflowConfigAsset(text)).toThrow(WorkflowConfigError);
    expect(() => parseWorkflowConfigAsset(text)).toThrow(message);
  });
});

describe('npm run sync:workflow', () => {
  it('writes the asset from the Workflow and the TaskQueues list', async () => {
    const model = staticWorkspace({ queueCount: 1200, seed: 4 });
    const stack = await startLocalStack({ model });
    const dir = mkdtempSync(join(tmpdir(), 'qwt-sync-'));
    try {
      const out = join(dir, 'workflow-config.private.json');
      const { stdout } = await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/sync-workflow-config.ts'), '--out', out], { env: { ...process.env, ...stack.env } });
      expect(JSON.parse(stdout)).toMatchObject({ outcome: 'written', queues: 1200, filters: 50 });
      const asset = parseWorkflowConfigAsset(readFileSync(out, 'utf8'));
      expect(asset.workflowSid).toBe(model.workflows()[0]!.sid);
      expect(findQueueByName(asset, 'queue 1200')?.queueSid).toBe(model.queues()[1199]!.sid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await stack.stop();
    }
  });

  it('reports a bad environment with exit 2, naming each variable', async () => {
    const error = await run(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/sync-workflow-config.ts')], { env: { PATH: process.env['PATH'], TWILIO_WORKFLOW_SID: 'WW1' } }).catch((caught: { code: number; stderr: string }) => caught);
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/TWILIO_ACCOUNT_SID is required[\s\S]*TWILIO_WORKFLOW_SID must be WW/);
  });
});
