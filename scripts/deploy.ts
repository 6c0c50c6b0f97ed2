/**
 * `npm run deploy`: checks, builds, then deploys the Functions with twilio-run.
 * - Preflight first (src/deploy/preflight.ts): the Functions' variables as twilio-run will carry them,
 *   validated as the Functions read them, and the workflow asset against TWILIO_WORKSPACE_SID. Any
 *   problem: every one is listed, nothing is built or uploaded, exit 2.
 * - Uploads only what the Functions read (src/deploy/variables.ts), byte for byte, never the refresher's
 *   secrets: a temporary env file (mode 600) with those lines plus the deploy credentials, which
 *   twilio-run authenticates with and never uploads.
 * - Deploys to the same Service every time: twilio-run remembers the Service in `.twiliodeployinfo` only
 *   for credentials that start with AC, so after a deploy with an API key this script records it there
 *   (under the account SID, twilio-run's own format) and passes `--service-sid` the next time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDeploy, rememberedService, rememberService } from '../src/deploy/local-files';
import { FUNCTIONS_ENV_FILE, twilioRunLine } from '../src/deploy/variables';
import { describeEnvironment, readEnvironment } from '../src/env-file';

const USAGE = `Usage: npm run deploy [-- <twilio-run deploy options>]

Checks the configuration and the workflow asset, builds, then deploys the Functions and assets in
dist/ with twilio-run (runtime and folders from .twilioserverlessrc). Uploads as environment variables
only what the Functions read, each exactly as .env has it; .env's TWILIO_AUTH_TOKEN, TWILIO_API_KEY
and TWILIO_API_SECRET are never uploaded.

Credentials for the deploy itself: ACCOUNT_SID and AUTH_TOKEN, or TWILIO_ACCOUNT_SID and
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET (with TWILIO_ACCOUNT_SID, so that the next
deploy finds the same Service), from .env or the environment.
Anything after -- goes to twilio-run deploy (e.g. --service-name, --environment, --production).
Exit status: 0 deployed, 1 the deploy failed, 2 refused before anything was built or uploaded.`;

const ROOT = join(__dirname, '..');
/** The last JSON object twilio-run printed (`--output-format json`), or null. */
function deployedResources(stdout: string): { serviceSid?: string; buildSid?: string; domain?: string; environmentSid?: string; functions?: { path: string; url: string }[] } | null {
  const start = stdout.lastIndexOf('\n{');
  const text = start >= 0 ? stdout.slice(start + 1) : stdout.trimStart().startsWith('{') ? stdout.trimStart() : '';
  try {
    return text ? (JSON.parse(text) as ReturnType<typeof deployedResources>) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const environment = readEnvironment();
  process.stderr.write(`${describeEnvironment(environment)}\n`);
  const values = environment.values;
  const apiKey = values['ACCOUNT_SID'] ? undefined : values['TWILIO_API_KEY'];
  const username = values['ACCOUNT_SID'] || apiKey || values['TWILIO_ACCOUNT_SID'];
  const password = values['AUTH_TOKEN'] || (apiKey ? values['TWILIO_API_SECRET'] : values['TWILIO_AUTH_TOKEN']);
  const accountSid = values['ACCOUNT_SID'] || values['TWILIO_ACCOUNT_SID'];

  const problems: string[] = [];
  if (!username || !password) problems.push('deploy credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)');
  const checked = checkDeploy(ROOT, values);
  problems.push(...checked.problems);
  const credentialLines = username && password ? [twilioRunLine('ACCOUNT_SID', username), twilioRunLine('AUTH_TOKEN', password)] : [];
  for (const line of credentialLines) if ('problem' in line) problems.push(line.problem.replace(/^AUTH_TOKEN/, 'the deploy password'));
  if (problems.length > 0) {
    process.stderr.write(`Deploy refused; nothing was built or uploaded:\n  - ${problems.join('\n  - ')}\n`);
    return 2;
  }

  // npm run build's steps, with the env file written from the .env checked above (a nested npm would
  // look for .env in the project folder instead of where npm run deploy was started).
  for (const [command, commandArgs] of [[join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--noEmit']], [process.execPath, [join(ROOT, 'scripts', 'build.mjs')]]] as const) {
    if (spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
      process.stderr.write('Deploy stopped: the build failed; nothing was uploaded.\n');
      return 1;
    }
  }
  writeFileSync(join(ROOT, FUNCTIONS_ENV_FILE), checked.file.text, { mode: 0o600 });
  process.stderr.write(`uploading these variables: ${Object.keys(checked.file.uploaded).join(', ') || '(none)'}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'qwt-deploy-'));
  const envFile = join(dir, '.env');
  writeFileSync(envFile, `${checked.file.text}${credentialLines.map((line) => ('line' in line ? line.line : '')).join('\n')}\n`, { mode: 0o600 });
  const passed = args.some((arg) => arg === '--service-sid' || arg.startsWith('--service-sid='));
  const serviceSid = passed ? undefined : rememberedService(ROOT, accountSid);
  const deployArgs = ['deploy', '--cwd', ROOT, '--env', envFile, '--output-format', 'json', ...(serviceSid ? ['--service-sid', serviceSid] : []), ...args];
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'twilio-run'), deployArgs, { cwd: ROOT, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) {
    process.stdout.write(stdout);
    return code;
  }
  const deployed = deployedResources(stdout);
  if (!deployed?.serviceSid) {
    process.stdout.write(stdout);
    return 0;
  }
  // twilio-run records the Service itself for AC credentials; for an API key this does, so the next deploy updates it.
  if (accountSid && !username!.startsWith('AC') && deployed.buildSid) rememberService(ROOT, accountSid, deployed.serviceSid, deployed.buildSid);
  process.stdout.write(`deployed to https://${deployed.domain} (Service ${deployed.serviceSid}, Environment ${deployed.environmentSid}, Build ${deployed.buildSid})\n`);
  for (const fn of deployed.functions ?? []) process.stdout.write(`  ${fn.url}\n`);
  process.stdout.write('npm run flow writes the Studio flow for this deploy.\n');
  return 0;
}

main().then((code) => process.exit(code));
