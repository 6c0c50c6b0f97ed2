/**
 * The list-page splitter the refresher reads TaskRouter's pages with (src/taskrouter/list-page.ts):
 * whatever the chunks, it must hand over exactly the items JSON.parse would find, and the rest of the
 * page with the list empty; a page that is not one must be refused, never half read.
 */
import fc from 'fast-check';
import { ListPageSplitter, MalformedPage } from '../src/taskrouter/list-page';

/** Splits `text` at `cuts` (positions, any order) and feeds the pieces. */
function split(text: string, key: string, cuts: number[]): { items: unknown[]; rest: Record<string, unknown> } {
  const items: unknown[] = [];
  const splitter = new ListPageSplitter(key, (item) => items.push(JSON.parse(item)));
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const point of [...points, text.length]) {
    splitter.write(text.slice(from, point));
    from = point;
  }
  return { items, rest: splitter.end() };
}

// Values with the characters that matter to a scanner: quotes, backslashes, brackets, commas, unicode.
const tricky = fc.string({ unit: fc.constantFrom('a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '😀', '\n') });
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(tricky, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(tricky, tie('node'), { maxKeys: 3 })),
})).node;
const item = fc.dictionary(tricky, value, { maxKeys: 4 });

describe('a TaskRouter list page, split as it streams in', () => {
  it('hands over each item and the rest of the page exactly, however the text is cut', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.dictionary(tricky, value, { maxKeys: 3 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (items, extra, metaFirst, cuts, spaced) => {
        const meta = { next_page_url: 'https://taskrouter.twilio.com/v1/Workspaces/WS1/TaskQueues?Page=1', page_size: 1000 };
        const others = Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'workers' && key !== 'meta'));
        const page = metaFirst ? { meta, ...others, workers: items } : { ...others, workers: items, meta };
        const text = JSON.stringify(page, null, spaced ? 2 : undefined);
        const result = split(text, 'workers', cuts);
        // What JSON.parse finds in the text: -0, for one, comes back as 0.
        const parsed = JSON.parse(text) as { workers: unknown[] };
        expect(result.items).toEqual(parsed.workers);
        expect(result.rest).toEqual({ ...parsed, workers: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('finds the list by its key at the top level only', () => {
    const text = JSON.stringify({ meta: { workers: [{ not: 'this' }] }, workers: [{ sid: 'WK1' }, { sid: 'WK2' }], other: [{ nor: 'this' }] });
    expect(split(text, 'workers', [7, 30, 31])).toEqual({ items: [{ sid: 'WK1' }, { sid: 'WK2' }], rest: { meta: { workers: [{ not: 'this' }] }, workers: [], other: [{ nor: 'this' }] } });
  });

  it('says why a page is refused', () => {
    const whole = JSON.stringify({ workers: [{ sid: 'WK1' }], meta: {} });
    const reason = (text: string) => {
      try {
        split(text, 'workers', [5]);
      } catch (error) {
        return error instanceof MalformedPage ? `${error.name}: ${error.message}` : `not a MalformedPage: ${String(error)}`;
      }
      return 'read';
    };
    expect(reason(whole)).toBe('read');
    expect(reason(whole.slice(0, -1))).toBe('MalformedPage: the page ends early');
    expect(reason(JSON.stringify({ workers: [{ sid: 'WK1' }, { sid: 'WK2' }] }).slice(0, 26))).toBe('MalformedPage: the page ends early');
    expect(reason('{"workers":[],"meta":{"x":"y')).toBe('MalformedPage: the page ends early');
    expect(reason(JSON.stringify({ meta: {} }))).toBe('MalformedPage: the page has no workers list');
    expect(reason('<html>bad gateway</html>')).toBe('MalformedPage: the page has no workers list');
    expect(reason(JSON.stringify({ workers: [{ sid: 'WK1' }, 2] }))).toBe('MalformedPage: an item of workers is not an object');
    expect(reason('{"workers":[{"sid":"WK1"} , "WK2"]}')).toBe('MalformedPage: an item of workers is not an object');
    expect(reason(`${whole}}`)).toBe('MalformedPage: unbalanced brackets');
    expect(reason('{"workers":[],"meta":{}} trailing')).toBe('MalformedPage: the page is not JSON');
    expect(reason('["workers",[{"sid":"WK1"}]]')).toBe('MalformedPage: the page is not a JSON object');
    expect(reason('x{"workers":[],"meta":{}}')).toBe('MalformedPage: the page is not JSON');
    // Only an array right under a top-level key of that name is the list.
    expect(reason('{"workers":{"sid":"WK1"}}')).toBe('MalformedPage: the page has no workers list');
    expect(reason('{"workers":{"x":[{"sid":"WK1"}]}}')).toBe('MalformedPage: the page has no workers list');
    expect(reason('["a",{"k":"workers"},[{"sid":"WK1"}]]')).toBe('MalformedPage: the page has no workers list');
  });

  it('refuses what is not a list page: cut short, no list, items that are not objects, not JSON', () => {
    const whole = JSON.stringify({ workers: [{ sid: 'WK1' }], meta: {} });
    for (const text of [whole.slice(0, -1), whole.slice(0, 20), JSON.stringify({ meta: {} }), JSON.stringify({ workers: [1, 2] }), `${whole}}`, '<html>bad gateway</html>', '{"workers":[],"meta":{}} trailing']) {
      expect(() => split(text, 'workers', [5])).toThrow(MalformedPage);
    }
  });
});
