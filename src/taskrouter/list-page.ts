/**
 * A TaskRouter list page split as it streams in: each item of the list as its own JSON text, and the
 * rest of the page (`meta` with the next page's URL) as a small JSON text with the list left empty.
 * A 1,000-queue statistics page is 1.5 MB of text whose tree would be several times that; split, the
 * refresher holds one chunk and one item at a time, and a 5,000-queue refresh stays small in memory.
 */
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COMMA = 44;
const WHITESPACE = new Set([32, 9, 10, 13]);
/** Keys longer than this are not the list's: no need to remember them. */
const MAX_KEY_LENGTH = 64;

export class MalformedPage extends Error {
  override readonly name = 'MalformedPage';
}

export class ListPageSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The text of the string being read at the top level (a key), while it is short. */
  private key: string | null = null;
  private lastKey = '';
  /** Depth inside the list's array; 0 outside it. */
  private listDepth = 0;
  /** The text of the item being read, across chunks; null between items. */
  private item: string | null = null;
  private rest = '';

  constructor(
    private readonly listKey: string,
    private readonly onItem: (text: string) => void,
  ) {}

  /** Feeds the next piece of the page. Throws MalformedPage when it cannot be a list page. */
  write(chunk: string): void {
    let from = 0;
    for (let index = 0; index < chunk.length; index++) {
      const code = chunk.charCodeAt(index);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === BACKSLASH) this.escaped = true;
        else if (code === QUOTE) {
          this.inString = false;
          if (this.key !== null) this.lastKey = this.key;
          this.key = null;
        } else if (this.key !== null) this.key = this.key.length < MAX_KEY_LENGTH ? this.key + chunk[index] : null;
        continue;
      }
      if (this.item === null && this.listDepth > 0 && this.depth === this.listDepth && code !== OPEN_OBJECT && code !== COMMA && code !== CLOSE_ARRAY && !WHITESPACE.has(code)) {
        throw new MalformedPage(`an item of ${this.listKey} is not an object`);
      }
      if (code === QUOTE) {
        this.inString = true;
        if (this.depth === 1) this.key = '';
      } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
        if (this.listDepth > 0 && this.depth === this.listDepth && this.item === null) {
          this.rest += chunk.slice(from, index);
          this.item = '';
          from = index;
        }
        this.depth++;
        if (code === OPEN_ARRAY && this.depth === 2 && this.lastKey === this.listKey && this.listDepth === 0) this.listDepth = 2;
      } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth < 0) throw new MalformedPage('unbalanced brackets');
        if (this.item !== null && this.depth === this.listDepth) {
          this.onItem(this.item + chunk.slice(from, index + 1));
          this.item = null;
          from = index + 1;
        } else if (this.listDepth > 0 && this.depth < this.listDepth) {
          // The list's own closing bracket.
          this.listDepth = -1;
        }
      } else if (code === COMMA && this.item === null && this.listDepth > 0 && this.depth === this.listDepth) {
        // Commas between items stay out of the rest, whose list is empty.
        this.rest += chunk.slice(from, index);
        from = index + 1;
      }
    }
    if (this.item !== null) this.item += chunk.slice(from);
    else this.rest += chunk.slice(from);
  }

  /** The page without its items, parsed. Throws MalformedPage when the page was cut short or is not JSON. */
  end(): Record<string, unknown> {
    if (this.depth !== 0 || this.inString || this.item !== null) throw new MalformedPage('the page ends early');
    if (this.listDepth === 0) throw new MalformedPage(`the page has no ${this.listKey} list`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.rest);
    } catch {
      throw new MalformedPage('the page is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedPage('the page is not a JSON object');
    return parsed as Record<string, unknown>;
  }
}
