/**
 * `npm run flow`: writes the Studio flow for the last deploy, with the Service, Environment and
 * Function SIDs and the domain read from the Serverless API, then has Studio validate it
 * (Flows/Validate); `--publish` creates or updates the flow. `npm run flow -- --help`.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { loadFlowConfig } from '../src/config';
import { describeEnvironment, readEnvironment } from '../src/env-file';
import { ConfigError, describeError } from '../src/errors';
import { rememberedService } from '../src/deploy/local-files';
import { flowDefinition, templateSettings, type FlowSettings } from '../src/studio/flow';

const USAGE = `Usage: npm run flow -- [--queue-name <name>] [--environment <suffix>] [--service-sid ZS...]
                       [--out <file>] [--publish] [--friendly-name <name>] [--placeholders] [--help]

Writes the Studio flow for the last deploy: the Service (from .twiliodeployinfo, or --service-sid),
its Environment (--environment, the domain suffix: default "dev", twilio-run's default; "" for the
production domain), the SIDs of lookup-queue-sid, get-queue-times and hold-music and the domain, all
read from the Serverless API. Studio validates it (Flows/Validate); --publish then creates the flow
(--friendly-name, default "Queue wait time") or updates the one of that name.

  --queue-name      the queue whose wait callers hear (default Support)
  --out             where to write the definition (default dist/studio-flow.json)
  --placeholders    write the template with YOUR-... placeholders instead (no account needed)

Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET),
TWILIO_WORKFLOW_SID; optional SAY_VOICE, SAY_LANGUAGE, WAIT_TIME_API_KEY, TASK_CHANNELS (the first).
Exit status: 0 written (and valid), 1 the Serverless or Studio API failed or refused it, 2 bad options
or environment.`;

const ROOT = join(__dirname, '..');
class UsageError extends Error {}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        'queue-name': { type: 'string', default: 'Support' },
        environment: { type: 'string', default: 'dev' },
        'service-sid': { type: 'string' },
        out: { type: 'string' },
        publish: { type: 'boolean', default: false },
        'friendly-name': { type: 'string', default: 'Queue wait time' },
        placeholders: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const out = resolve(process.env['INIT_CWD'] || process.cwd(), values.out ?? join(ROOT, 'dist', 'studio-flow.json'));
  if (values.placeholders) {
    const template = flowDefinition(templateSettings(values['queue-name']));
    writeFileSync(out, `${JSON.stringify(template, null, 2)}\n`);
    process.stdout.write(`wrote ${out} (placeholders: npm run flow fills them from your deploy)\n`);
    return 0;
  }

  let config;
  let serviceSid: string;
  try {
    const environment = readEnvironment();
    process.stderr.write(`${describeEnvironment(environment)}\n`);
    config = loadFlowConfig(environment.values);
    const sid = values['service-sid'] ?? rememberedService(ROOT, config.twilio.accountSid);
    if (sid === undefined) throw new UsageError('no deploy found for this account in .twiliodeployinfo: run npm run deploy first, or pass --service-sid');
    if (values['service-sid'] && !/^ZS[0-9a-f]{32}$/.test(sid)) throw new UsageError('--service-sid must be ZS followed by 32 hex digits');
    serviceSid = sid;
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError || error instanceof UsageError ? error.message : describeError(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const client = twilio(config.twilio.username, config.twilio.password, { accountSid: config.twilio.accountSid });
  try {
    const service = client.serverless.v1.services(serviceSid);
    const suffix = values.environment!;
    const environments = await service.environments.list();
    const environment = environments.find((candidate) => (candidate.domainSuffix ?? '') === suffix);
    if (!environment) throw new Error(`Service ${serviceSid} has no environment with domain suffix "${suffix}" (it has: ${environments.map((candidate) => `"${candidate.domainSuffix ?? ''}"`).join(', ') || 'none'}); deploy first, or pass --environment`);
    const functions = await service.functions.list();
    const sidOf = (name: string) => {
      const found = functions.find((fn) => fn.friendlyName === name || fn.friendlyName === `/${name}`);
      if (!found) throw new Error(`Service ${serviceSid} has no Function ${name}; deploy first`);
      return found.sid;
    };
    const settings: FlowSettings = {
      serviceSid,
      environmentSid: environment.sid,
      domain: environment.domainName,
      functions: { lookupQueueSid: sidOf('lookup-queue-sid'), getQueueTimes: sidOf('get-queue-times'), holdMusic: sidOf('hold-music') },
      workflowSid: config.workflowSid,
      queueName: values['queue-name']!,
      channel: config.channel,
      sayVoice: config.sayVoice,
      sayLanguage: config.sayLanguage,
      apiKey: config.apiKey,
    };
    const definition = flowDefinition(settings);
    writeFileSync(out, `${JSON.stringify(definition, null, 2)}\n`);
    process.stdout.write(`wrote ${out} for https://${settings.domain} (Service ${serviceSid}, Environment ${environment.sid})\n`);
    const friendlyName = values['friendly-name']!;
    const validation = await client.studio.v2.flowValidate.update({ friendlyName, status: 'published', definition });
    if (!validation.valid) throw new Error('Studio found the flow invalid');
    process.stdout.write('Studio validated the flow (Flows/Validate).\n');
    if (values.publish) {
      const existing = (await client.studio.v2.flows.list()).find((flow) => flow.friendlyName === friendlyName);
      const flow = existing
        ? await client.studio.v2.flows(existing.sid).update({ status: 'published', definition, commitMessage: 'npm run flow' })
        : await client.studio.v2.flows.create({ friendlyName, status: 'published', definition, commitMessage: 'npm run flow' });
      process.stdout.write(`${existing ? 'updated' : 'created'} Studio flow ${flow.sid} "${friendlyName}" (revision ${flow.revision}); point your phone number's "A call comes in" at it.\n`);
    }
    return 0;
  } catch (error) {
    const details = (error as { details?: unknown }).details;
    process.stderr.write(`npm run flow failed: ${(error as Error).message}${details ? ` ${JSON.stringify(details)}` : ''}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
