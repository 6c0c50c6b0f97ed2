/**
 * `npm run deploy`: deploys the built Functions with twilio-run, uploading only the variables the
 * Functions read (src/deploy-env.ts), never the refresher's secrets. Reads `.env` in the directory
 * npm was started from (exported variables win), writes a temporary env file (mode 600) with those
 * keys plus the deploy credentials (ACCOUNT_SID/AUTH_TOKEN, which twilio-run uses to authenticate and
 * never uploads), runs `twilio-run deploy`, and deletes the file.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployedEnvironment } from '../src/deploy-env';
import { describeEnvironment, readEnvironment } from '../src/env-file';

const USAGE = `Usage: npm run deploy [-- <twilio-run deploy options>]

Builds, then deploys the Functions and assets in dist/ with twilio-run (runtime and folders from
.twilioserverlessrc). Uploads as environment variables only what the Functions read (see the README);
.env's TWILIO_AUTH_TOKEN, TWILIO_API_KEY and TWILIO_API_SECRET are never uploaded.

Credentials for the deploy itself: ACCOUNT_SID and AUTH_TOKEN, or TWILIO_ACCOUNT_SID and
TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET (from .env or the environment).
Anything after -- goes to twilio-run deploy (e.g. --service-name, --environment, --production).`;

const ROOT = join(__dirname, '..');

function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  const environment = readEnvironment();
  process.stderr.write(`${describeEnvironment(environment)}\n`);
  const values = environment.values;
  const username = values['ACCOUNT_SID'] || values['TWILIO_API_KEY'] || values['TWILIO_ACCOUNT_SID'];
  const password = values['AUTH_TOKEN'] || (values['TWILIO_API_KEY'] ? values['TWILIO_API_SECRET'] : values['TWILIO_AUTH_TOKEN']);
  if (!username || !password) {
    process.stderr.write(`Deploy needs credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) in .env or the environment.\n\n${USAGE}\n`);
    return Promise.resolve(2);
  }
  const uploaded = deployedEnvironment(values);
  process.stderr.write(`uploading these variables: ${Object.keys(uploaded).join(', ') || '(none)'}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'qwt-deploy-'));
  const envFile = join(dir, '.env');
  // Values are written as twilio-run's dotenv reads them back; a newline would end the value.
  const lines = Object.entries({ ...uploaded, ACCOUNT_SID: username, AUTH_TOKEN: password }).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  writeFileSync(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'twilio-run'), ['deploy', '--cwd', ROOT, '--env', envFile, ...args], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

main().then((code) => process.exit(code));
