/**
 * Everything a deploy checks before it builds or uploads anything: the Functions' variables as twilio-run
 * will carry them, read back and validated exactly as the Functions read them, and the workflow asset
 * against the workspace. Every problem is listed at once.
 */
import { loadQStashConfig, loadRefresherConfig, loadSignatureConfig, loadWaitTimeConfig } from '../config';
import { ConfigError } from '../errors';
import { functionsEnvFile } from './variables';

export interface PreflightResult {
  /** The env file both deploy commands read, and the values in it. */
  file: { text: string; uploaded: Record<string, string> };
  problems: string[];
}

/** Runs a configuration loader and collects its problems instead of throwing. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/**
 * Checks a deploy. `readBack` parses an env file the way twilio-run does (dotenv 6.2), so the values
 * validated are the ones the Functions will see; `asset` is the workflow asset's text, or null when
 * it is missing.
 */
export function preflight(values: Record<string, string | undefined>, asset: { path: string; text: string | null }, readBack: (text: string) => Record<string, string>): PreflightResult {
  const file = functionsEnvFile(values);
  const problems = [...file.problems];
  const arrived = readBack(file.text);
  for (const [key, value] of Object.entries(file.uploaded)) {
    if (key in arrived && arrived[key] !== value) problems.push(`${key} would arrive changed: twilio-run's .env reader does not read back what was written`);
  }
  problems.push(...problemsOf(() => loadWaitTimeConfig(arrived)), ...problemsOf(() => loadSignatureConfig(arrived)));
  // The QStash-scheduled refresh is deployed either way; its settings are checked when it is configured.
  if (arrived['QSTASH_CURRENT_SIGNING_KEY'] || arrived['QSTASH_NEXT_SIGNING_KEY']) {
    problems.push(...problemsOf(() => loadQStashConfig(arrived)), ...problemsOf(() => loadRefresherConfig(arrived, { requireCredentials: false })));
  }
  problems.push(...assetProblems(asset, values['TWILIO_WORKSPACE_SID']));
  return { file, problems: [...new Set(problems)] };
}

/** The lookup Function answers from the asset: it must describe the workspace being deployed for. */
function assetProblems(asset: { path: string; text: string | null }, workspaceSid: string | undefined): string[] {
  if (asset.text === null) return [`${asset.path} is missing: run npm run sync:workflow`];
  let parsed: unknown;
  try {
    parsed = JSON.parse(asset.text);
  } catch {
    return [`${asset.path} is not valid JSON: run npm run sync:workflow`];
  }
  const assetWorkspace = (parsed as { workspaceSid?: unknown } | null)?.workspaceSid;
  if (workspaceSid && assetWorkspace !== workspaceSid) {
    return [`${asset.path} describes workspace ${String(assetWorkspace)}, not TWILIO_WORKSPACE_SID ${workspaceSid}: run npm run sync:workflow`];
  }
  return [];
}
