/**
 * Protected endpoint for Studio's Run Function widget: `queueName` → `{ queueSid, queueName }`, from the
 * private workflow-config asset (no TaskRouter call, no Redis).
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import { errorResponse, HttpError, jsonResponse, stringParameter, toHttpError } from '../src/endpoints/http';
import { findQueueByName, parseWorkflowConfigAsset, type WorkflowConfigAsset } from '../src/workflow-config';
import { WorkflowConfigError } from '../src/errors';
import { loadSignatureConfig } from '../src/config';
import { checkSignature } from '../src/endpoints/signature';
import type { Env, Event } from './env';

const ASSET_KEY = '/workflow-config.json';

/** The asset, parsed once per warm container; a broken asset is reported on every call, not cached. */
let cachedAsset: WorkflowConfigAsset | undefined;

function loadAsset(): WorkflowConfigAsset {
  if (cachedAsset) return cachedAsset;
  const asset = Runtime.getAssets()[ASSET_KEY];
  if (!asset) throw new WorkflowConfigError('workflow-config.private.json is not deployed; run npm run sync:workflow, then deploy');
  cachedAsset = parseWorkflowConfigAsset(asset.open());
  return cachedAsset;
}

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const response = new Twilio.Response();
  try {
    await checkSignature(loadSignatureConfig(context), { baseUrl: `https://${context.DOMAIN_NAME}${context.PATH}`, event });
    const queueName = stringParameter(event, 'queueName', "the TaskQueue's or Workflow filter's friendly name");
    if (queueName === undefined) throw new HttpError(400, 'missing_parameter', 'queueName is required');
    let asset: WorkflowConfigAsset;
    try {
      asset = loadAsset();
    } catch (error) {
      console.error(`lookup-queue-sid: ${(error as Error).message}`);
      throw new HttpError(500, 'configuration_error', 'the workflow configuration asset is missing or invalid; see the logs');
    }
    const queue = findQueueByName(asset, queueName);
    if (!queue) throw new HttpError(404, 'unknown_queue', 'no queue or workflow filter has that name');
    callback(null, jsonResponse(response, 200, queue));
  } catch (error) {
    callback(null, errorResponse(response, toHttpError(error, (message) => console.error(`lookup-queue-sid: ${message}`))));
  }
};
