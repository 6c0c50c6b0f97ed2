/** The benchmarks' command lines, parsed one way. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Values<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O & { help: { type: 'boolean'; default: false } } }>>['values'];

/**
 * The options of `process.argv`, or undefined after printing `usage` for `--help`. An unknown or
 * malformed option prints its message and `usage` on stderr and exits 2.
 */
export function benchOptions<const O extends ParseArgsOptionsConfig>(options: O, usage: string): Values<O> | undefined {
  let values: Values<O>;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { ...options, help: { type: 'boolean', default: false } as const } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if ((values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return values;
}
