/**
 * Protected: the Enqueue Call widget's Hold Music TwiML URL. Plays HOLD_MUSIC_URL, announces the
 * remaining wait about every ANNOUNCE_EVERY_SECONDS (for `queueSid`, or the flow's `waitTime`), and
 * loops. Always answers valid TwiML; loads no `twilio` package unless signatures are checked here.
 */
import '@twilio-labs/serverless-runtime-types';
import type { ServerlessFunctionSignature } from '@twilio-labs/serverless-runtime-types/types';
import { DEFAULT_HOLD_MUSIC_URL, loadSignatureConfig, loadWaitTimeConfig } from '../src/config';
import { errorResponse, toHttpError } from '../src/endpoints/http';
import { checkSignature } from '../src/endpoints/signature';
import { estimateFor, holdMusicTwiml, parseHoldMusicRequest, type HoldMusicConfig } from '../src/endpoints/hold-music';
import { redisFor } from '../src/endpoints/wait-time';
import { ENGLISH } from '../src/speech';
import type { Env, Event } from './env';

function twimlResponse(twiml: string) {
  const response = new Twilio.Response();
  response.setStatusCode(200);
  response.appendHeader('Content-Type', 'text/xml');
  response.setBody(twiml);
  return response;
}

export const handler: ServerlessFunctionSignature<Env, Event> = async function (context, event, callback) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  try {
    await checkSignature(loadSignatureConfig(context), { baseUrl: `https://${context.DOMAIN_NAME}${context.PATH}`, event });
  } catch (error) {
    callback(null, errorResponse(new Twilio.Response(), toHttpError(error, (message) => console.error(`hold-music: ${message}`))));
    return;
  }
  try {
    const config = loadWaitTimeConfig(context);
    const request = parseHoldMusicRequest(event, nowSeconds, config);
    const estimate = await estimateFor(config, redisFor(config), request, (line) => console.error(`hold-music: ${line}`));
    callback(null, twimlResponse(holdMusicTwiml(config, request, estimate, config.speechWords, nowSeconds)));
  } catch (error) {
    // Misconfigured or broken: the caller still hears music, never an application error.
    console.error(`hold-music: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    const musicOnly: HoldMusicConfig = {
      holdMusicUrl: typeof context.HOLD_MUSIC_URL === 'string' && /^https?:\/\//.test(context.HOLD_MUSIC_URL) ? context.HOLD_MUSIC_URL : DEFAULT_HOLD_MUSIC_URL,
      holdMusicSeconds: undefined,
      announceEverySeconds: 60,
      minimumAnnouncedSeconds: 60,
      speechStyle: 'approximate',
    };
    callback(null, twimlResponse(holdMusicTwiml(musicOnly, parseHoldMusicRequest(event, nowSeconds, musicOnly), undefined, ENGLISH, nowSeconds)));
  }
};
