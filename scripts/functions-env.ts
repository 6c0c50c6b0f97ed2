/**
 * The last step of `npm run build`: writes dist/functions.env, the Functions' variables from `.env` as
 * twilio-run reads them back, which `.twilioserverlessrc` points `twilio serverless:deploy` at. Written
 * only when the deploy preflight passes; otherwise any stale file is removed, so the Twilio CLI refuses
 * to deploy ("Failed to find .env file") instead of uploading a wrong or partial configuration.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDeploy } from '../src/deploy/local-files';
import { deployedEnvironment, FUNCTIONS_ENV_FILE } from '../src/deploy/variables';
import { readEnvironment } from '../src/env-file';

const ROOT = join(__dirname, '..');

const environment = readEnvironment();
const target = join(ROOT, FUNCTIONS_ENV_FILE);
const { file, problems } = checkDeploy(ROOT, environment.values);
if (problems.length === 0) {
  writeFileSync(target, file.text, { mode: 0o600 });
  console.log(`wrote ${FUNCTIONS_ENV_FILE} (${Object.keys(file.uploaded).length} variables) for twilio serverless:deploy`);
} else {
  rmSync(target, { force: true });
  const configured = environment.file !== null || Object.keys(deployedEnvironment(environment.values)).length > 0;
  console.log(`${FUNCTIONS_ENV_FILE} not written, so twilio serverless:deploy will refuse to deploy${configured ? `:\n  - ${problems.join('\n  - ')}` : ' (no configuration here; npm run deploy lists what is missing)'}`);
}
