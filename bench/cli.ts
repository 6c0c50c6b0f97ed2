/** The benchmarks' command lines, parsed one way. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadScenario, ScenarioError, type Scenario } from '../dev/simulation/scenario';
import { DEFAULT_PARAMETERS, type EstimatorParameters } from '../src/estimator';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O & { help: { type: 'boolean'; default: false } }; allowPositionals: true; tokens: true }>>;
type Values<O extends ParseArgsOptionsConfig> = Parsed<O>['values'];

/** Prints `message` and `usage` on stderr and exits 2: the benchmarks' answer to a bad command line. */
export function usageError(message: string, usage: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

/** A whole-number option of at least 1 (`fallback` when absent), or usage and exit 2 naming it. */
export function positiveIntegerOption(value: string | undefined, fallback: number, name: string, usage: string): number {
  const parsed = Number(value ?? fallback);
  if (!Number.isInteger(parsed) || parsed < 1) usageError(`${name} must be a positive whole number`, usage);
  return parsed;
}

/** A scenario named or given by path, or its problem (no such scenario: the known ones listed) with usage, exit 2. */
export function scenarioOption(nameOrPath: string, usage: string): Scenario {
  try {
    return loadScenario(nameOrPath);
  } catch (error) {
    if (error instanceof ScenarioError) usageError(error.message, usage);
    throw error;
  }
}

/**
 * The options and tokens of `process.argv` (positionals allowed, in order), or undefined after printing
 * `usage` for `--help`. An unknown or malformed option prints its message and `usage` and exits 2.
 */
export function benchArguments<const O extends ParseArgsOptionsConfig>(options: O, usage: string): Pick<Parsed<O>, 'values' | 'tokens'> | undefined {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { ...options, help: { type: 'boolean', default: false } as const }, allowPositionals: true, tokens: true });
  } catch (error) {
    return usageError((error as Error).message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed;
}

/**
 * The options of `process.argv`, or undefined after printing `usage` for `--help`. An unknown or
 * malformed option, or a stray argument, prints its message and `usage` on stderr and exits 2.
 */
export function benchOptions<const O extends ParseArgsOptionsConfig>(options: O, usage: string): Values<O> | undefined {
  const parsed = benchArguments(options, usage);
  if (!parsed) return undefined;
  const stray = parsed.tokens.find((token) => token.kind === 'positional');
  if (stray) usageError(`Unexpected argument '${(stray as { value: string }).value}'`, usage);
  return parsed.values;
}

/** The estimator parameters that are weights, each between 0 and 1; the others only need to be ≥ 0. */
const WEIGHTS: readonly (keyof EstimatorParameters)[] = ['headOfLineWeight', 'ownWaitWeight'];

/**
 * `--parameters '{"ownWaitWeight":0.6}'`: the default's parameters, each one given replacing
 * DEFAULT_PARAMETERS' value. Not JSON, not an object, an unknown name, or a value that is not a number
 * in range prints the reason and `usage` and exits 2.
 */
export function parametersOption(value: string | undefined, usage: string): EstimatorParameters {
  if (value === undefined) return DEFAULT_PARAMETERS;
  const notAnObject = `--parameters must be a JSON object, like '{"ownWaitWeight":0.6}'`;
  let given: unknown;
  try {
    given = JSON.parse(value);
  } catch {
    return usageError(notAnObject, usage);
  }
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return usageError(notAnObject, usage);
  const parameters = { ...DEFAULT_PARAMETERS };
  for (const [name, number] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_PARAMETERS, name)) usageError(`--parameters: unknown parameter '${name}' (known: ${Object.keys(DEFAULT_PARAMETERS).join(', ')})`, usage);
    const key = name as keyof EstimatorParameters;
    const high = WEIGHTS.includes(key) ? 1 : Infinity;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || number > high) usageError(`--parameters: ${name} must be a number ${high === 1 ? 'from 0 to 1' : 'of at least 0'}`, usage);
    parameters[key] = number as number;
  }
  return parameters;
}
