/**
 * One configuration story for every command: `.env` in the working directory when present, with the
 * process environment taking precedence (so a CI secret or an exported variable wins), and a note on
 * stderr saying which file was read. Parsing is node's own (`util.parseEnv`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

export interface Environment {
  values: Record<string, string | undefined>;
  /** The file read, or null when there was none. */
  file: string | null;
}

export function readEnvironment(options: { cwd?: string; processEnv?: NodeJS.ProcessEnv; file?: string } = {}): Environment {
  // Through npm, the directory npm was started from; run directly, the working directory.
  const file = resolve(options.cwd ?? (process.env['INIT_CWD'] || process.cwd()), options.file ?? '.env');
  const processEnv = options.processEnv ?? process.env;
  if (!existsSync(file)) return { values: { ...processEnv }, file: null };
  const fromFile = parseEnv(readFileSync(file, 'utf8'));
  // An empty exported variable (GitHub passes unset secrets as "") does not hide the file's value.
  const exported = Object.fromEntries(Object.entries(processEnv).filter(([, value]) => value !== undefined && value !== ''));
  return { values: { ...fromFile, ...exported }, file };
}

/** The line a command prints (to stderr) about where its configuration came from. */
export function describeEnvironment(environment: Environment): string {
  return environment.file ? `configuration: ${environment.file} and the process environment (which takes precedence)` : 'configuration: the process environment (no .env file here)';
}
