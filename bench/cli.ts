/** The benchmarks' command lines, parsed one way. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

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
