/**
 * Which workers a TaskQueue's `target_workers` expression matches, from their attributes: the part of
 * TaskRouter's expression syntax a queue's target usually uses. Comparisons (`==`, `!=`, `>`, `<`, `>=`,
 * `<=`), `HAS`, `CONTAINS`, `IN`, `NOT IN`, `AND`/`&&`, `OR`/`||`, parentheses, strings, numbers,
 * booleans and lists; paths into the attributes (`routing.skills`, optionally `worker.`-prefixed, with
 * array indices: `routing.skills[0]`). As TaskRouter's "Using TaskRouter Expressions" says, a scalar
 * operator on an array is false, and so is an array operator on two scalars.
 * Anything else (task attributes, functions, an object compared; a list left of `IN` or two strings
 * ordered, which that page does not define) is not evaluated: the answer is null, never a guess.
 */

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/** An expression this evaluator cannot decide for a worker. */
class Unknown extends Error {}

const TOKEN = /\s*(?:(\(|\)|\[|\]|,|==|!=|>=|<=|>|<|&&|\|\|)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w.-]*))/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(expression);
    if (!match) throw new Unknown(`cannot read "${expression.slice(TOKEN.lastIndex, TOKEN.lastIndex + 20)}"`);
    tokens.push(match[0].trim());
  }
  return tokens;
}

const KEYWORDS = new Set(['AND', 'OR', 'HAS', 'CONTAINS', 'IN', 'NOT', 'TRUE', 'FALSE']);

/** A recursive-descent evaluator over one worker's attributes. */
class Evaluator {
  private at = 0;
  constructor(
    private readonly tokens: string[],
    private readonly attributes: Record<string, unknown>,
  ) {}

  run(): boolean {
    const result = this.or();
    if (this.at !== this.tokens.length) throw new Unknown(`unexpected "${this.tokens[this.at]}"`);
    return result;
  }

  private peek(): string | undefined {
    return this.tokens[this.at];
  }

  private take(expected?: string): string {
    const token = this.tokens[this.at++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) throw new Unknown(`expected ${expected ?? 'more'}`);
    return token;
  }

  private or(): boolean {
    let result = this.and();
    while (['OR', '||'].includes(this.peek()?.toUpperCase() ?? '')) {
      this.take();
      const right = this.and();
      result = result || right;
    }
    return result;
  }

  private and(): boolean {
    let result = this.condition();
    while (['AND', '&&'].includes(this.peek()?.toUpperCase() ?? '')) {
      this.take();
      const right = this.condition();
      result = result && right;
    }
    return result;
  }

  private condition(): boolean {
    if (this.peek() === '(') {
      this.take();
      const inner = this.or();
      this.take(')');
      return inner;
    }
    const left = this.value();
    const operator = this.take().toUpperCase();
    if (operator === 'NOT') {
      this.take('IN');
      return this.inList(left, this.value(), true);
    }
    const right = this.value();
    if (operator === 'HAS') return Array.isArray(left) && left.some((item) => equal(item, right));
    if (operator === 'IN') return this.inList(left, right, false);
    if (!SCALAR_OPERATORS.has(operator)) throw new Unknown(`unknown operator ${operator}`);
    if (isObject(left) || isObject(right)) throw new Unknown('an object compared');
    // A scalar operator on an array is false, != included.
    if (Array.isArray(left) || Array.isArray(right)) return false;
    if (operator === '==') return equal(left, right);
    if (operator === '!=') return !equal(left, right);
    if (operator === 'CONTAINS') return typeof left === 'string' && typeof right === 'string' && left.includes(right);
    return compare(left, right, operator);
  }

  /** `IN` and `NOT IN`: a scalar on the left, a list on the right (false when both are scalars). */
  private inList(left: Value, right: Value, negated: boolean): boolean {
    if (Array.isArray(left) || isObject(left)) throw new Unknown('IN needs a scalar on its left');
    if (!Array.isArray(right)) return false;
    return right.some((candidate) => equal(left, candidate)) !== negated;
  }

  private value(): Value {
    const token = this.take();
    if (token === '[') {
      const items: Value[] = [];
      while (this.peek() !== ']') {
        items.push(this.value());
        if (this.peek() === ',') this.take();
      }
      this.take(']');
      return items;
    }
    if (/^["']/.test(token)) return token.slice(1, -1).replace(/\\(.)/g, '$1');
    if (/^-?\d/.test(token)) return Number(token);
    const upper = token.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return upper === 'TRUE';
    if (KEYWORDS.has(upper) || !/^[A-Za-z_]/.test(token)) throw new Unknown(`unexpected "${token}"`);
    const path = token.startsWith('worker.') ? token.slice('worker.'.length) : token;
    if (path.startsWith('task.')) throw new Unknown('depends on the task');
    let node = attributeAt(this.attributes, path);
    // Array indices after the path: `routing.skills[0]`. (A list never follows a value directly.)
    while (this.peek() === '[') {
      this.take();
      const index = this.take();
      if (!/^\d+$/.test(index)) throw new Unknown(`index ${index}`);
      this.take(']');
      node = Array.isArray(node) ? node[Number(index)] : undefined;
    }
    return node === undefined ? null : (node as Value);
  }
}

const SCALAR_OPERATORS = new Set(['==', '!=', '>', '<', '>=', '<=', 'CONTAINS']);

const isObject = (value: Value): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

function equal(left: Value, right: Value): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left.toLowerCase() === right.toLowerCase();
  return left === right;
}

function compare(left: Value, right: Value, operator: string): boolean {
  // Two strings: an order the syntax page does not define. Any other mix (a missing attribute's null
  // included) is false.
  if (typeof left === 'string' && typeof right === 'string') throw new Unknown('strings ordered');
  if (typeof left !== 'number' || typeof right !== 'number') return false;
  return operator === '>' ? left > right : operator === '<' ? left < right : operator === '>=' ? left >= right : left <= right;
}

/** An expression read once, to match many workers: null for a worker when it cannot be decided. */
export type TargetWorkers = (attributes: Record<string, unknown>) => boolean | null;

/** Reads an expression once (a tokenizing failure makes every answer null). */
export function compileTargetWorkers(expression: string): TargetWorkers {
  let tokens: string[];
  try {
    tokens = tokenize(expression);
  } catch (error) {
    if (error instanceof Unknown) return () => null;
    throw error;
  }
  return (attributes) => {
    try {
      return new Evaluator(tokens, attributes).run();
    } catch (error) {
      if (error instanceof Unknown) return null;
      throw error;
    }
  };
}

/**
 * Whether a worker with `attributes` matches `expression`; null when the expression uses what this
 * evaluator does not read (the caller falls back to what it saw the worker serve).
 */
export function matchesTargetWorkers(expression: string, attributes: Record<string, unknown>): boolean | null {
  return compileTargetWorkers(expression)(attributes);
}

/**
 * The common one-clause form `path HAS "value"` (a skill list holds a value), or null. Many queues'
 * targets are of this form, and a refresh of thousands of queues matches them through an index of the
 * workers' values instead of one evaluation per queue and worker.
 */
export function hasClause(expression: string): { path: string; value: string } | null {
  const match = /^\s*(?:worker\.)?([A-Za-z_][\w.-]*)\s+HAS\s+(?:"([^"\\]*)"|'([^'\\]*)')\s*$/i.exec(expression);
  if (!match || match[1]!.startsWith('task.')) return null;
  return { path: match[1]!, value: (match[2] ?? match[3])! };
}

/** The value at a dotted path of the attributes, or undefined. */
export function attributeAt(attributes: Record<string, unknown>, path: string): unknown {
  let node: unknown = attributes;
  for (const part of path.split('.')) node = typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}
