/**
 * Named errors, one per failure a caller can act on. Messages never carry secrets.
 */

/** The environment (or CLI options) is invalid; `problems` lists every one, each naming its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** TaskRouter answered with an error, or could not be reached, after the retries allowed. */
export class TaskRouterError extends Error {
  override readonly name = 'TaskRouterError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The cache (Upstash Redis) failed, timed out, or refused the request. */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The workflow-config asset is missing or malformed. */
export class WorkflowConfigError extends Error {
  override readonly name = 'WorkflowConfigError';
}

/**
 * A message for logs and error bodies: the error's own text, without stack or causes. A command line
 * node:util's parseArgs refused (an unknown option, a missing value) is the user's mistake, not a
 * TypeError: its message alone.
 */
export function describeError(error: unknown): string {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') && typeof message === 'string') return message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
