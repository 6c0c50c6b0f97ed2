/**
 * What the deploy commands read and write in the project folder, in one place: the workflow asset the
 * preflight checks, twilio-run's own .env reader (dotenv 6.2, from the installed twilio-run), and
 * twilio-run's deploy info (`.twiliodeployinfo`), where the Service of each account is remembered.
 * Used by scripts/ only: it loads twilio-run, a development dependency.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { preflight, type PreflightResult } from './preflight';

/** twilio-run's own region when none is given; its deploy-info keys are "<account>:<region>". */
const REGION = 'us1';
const ASSET = 'assets/workflow-config.private.json';

/** Parses an env file as twilio-run does (its dotenv 6.2), so values are checked as they will arrive. */
export function twilioRunReadBack(text: string): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dotenv = require(require.resolve('dotenv', { paths: [require.resolve('twilio-run')] })) as { parse(text: string): Record<string, string> };
  return dotenv.parse(text);
}

/** The preflight of the project in `root`, with its workflow asset and twilio-run's reader. */
export function checkDeploy(root: string, values: Record<string, string | undefined>): PreflightResult {
  const asset = join(root, ASSET);
  return preflight(values, { path: ASSET, text: existsSync(asset) ? readFileSync(asset, 'utf8') : null }, twilioRunReadBack);
}

function readDeployInfo(root: string): Record<string, { serviceSid?: string } | undefined> {
  const file = join(root, '.twiliodeployinfo');
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { serviceSid?: string }>) : {};
  } catch {
    return {};
  }
}

/** The Service this account last deployed to from `root`, or undefined. */
export function rememberedService(root: string, accountSid: string | undefined): string | undefined {
  if (!accountSid) return undefined;
  const info = readDeployInfo(root);
  return info[`${accountSid}:${REGION}`]?.serviceSid ?? info[accountSid]?.serviceSid;
}

/** Records the Service in twilio-run's own format, which it does itself only for AC credentials. */
export function rememberService(root: string, accountSid: string, serviceSid: string, buildSid: string): void {
  const info: Record<string, unknown> = readDeployInfo(root);
  info[`${accountSid}:${REGION}`] = { serviceSid, latestBuild: buildSid };
  writeFileSync(join(root, '.twiliodeployinfo'), JSON.stringify(info, null, '\t'));
}
