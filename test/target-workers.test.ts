/**
 * A TaskQueue's target_workers expression read against one worker's attributes, as the refresher reads
 * it to learn which queues share agents (src/taskrouter/pools.ts): what it decides, it decides as
 * TaskRouter's "Using TaskRouter Expressions" page says; what it cannot read is null, never a guess.
 */
import { attributeAt, hasClause, matchesTargetWorkers } from '../src/taskrouter/target-workers';

describe('target_workers expressions', () => {
  const agent = { routing: { skills: ['Sales', 'Support'], level: 3 }, languages: ['en', 'es'], team: 'blue', active: true, level2: 3, quote: 'say "hi"', code: 'a1', nothing: null };

  it.each([
    ['routing.skills HAS "Sales"', true],
    ['routing.skills HAS "sales"', true],
    ['routing.skills HAS "Billing"', false],
    ['worker.routing.skills HAS "Support"', true],
    ['team == "blue" AND routing.level >= 3', true],
    ['team == "red" OR routing.level > 5', false],
    ['(team == "red" || team == "blue") && routing.level < 4', true],
    ['team IN ["green", "blue"]', true],
    ['team IN []', false],
    ['team NOT IN ["blue"]', false],
    ['team NOT IN ["red"]', true],
    ['team CONTAINS "lu"', true],
    ['team CONTAINS "red"', false],
    ['team != "blue"', false],
    ['team != "red"', true],
    ['worker.team == "blue"', true],
    ["team == 'blue'", true],
    ['missing == "x"', false],
    ['1==1', true],
    ['0 != 1', true],
    ['"apple" != "orange"', true],
    // Scalar operators on an array are false, != included; array operators on two scalars too.
    ['routing.skills == "Sales"', false],
    ['routing.skills != "Billing"', false],
    ['routing.skills CONTAINS "Sal"', false],
    ['languages > 1', false],
    ['team HAS "blue"', false],
    ['team IN "blue"', false],
    ['team NOT IN "red"', false],
    // Numbers, and mixed types.
    ['routing.level > 3', false],
    ['routing.level > 2.5', true],
    ['routing.level >= 3', true],
    ['routing.level >= 3.5', false],
    ['routing.level < 3', false],
    ['routing.level < 4', true],
    ['routing.level <= 3', true],
    ['routing.level <= 2', false],
    ['routing.level > -1', true],
    ['routing.level == 3.0', true],
    ['routing.level == "3"', false],
    ['missing > 2', false],
    ['level2 == 3', true],
    ['routing.level < 3.25', true],
    ['routing.level > 3.25', false],
    // Different types: false, as a missing attribute (null) against a number is.
    ['team > 3', false],
    ['routing.level > "a"', false],
    ['team == 3', false],
    ['routing.level CONTAINS "3"', false],
    ['code CONTAINS 1', false],
    ['missing < 4', false],
    ['routing.level > true', false],
    // A key set to null and a key not there are both NULL.
    ['nothing == missing', true],
    // Precedence (AND before OR), keywords in any case, constants, whitespace.
    ['team == "red" AND routing.level > 5 OR team == "blue"', true],
    ['team == "blue" OR team == "red" AND routing.level > 5', true],
    ['team == "blue" AND team == "red"', false],
    ['team == "red" OR team == "blue"', true],
    ['(team == "blue" OR team == "red") AND routing.level > 5', false],
    ['team == "blue" and routing.level >= 3', true],
    ['routing.skills has "Sales"', true],
    ['team not in ["red"]', true],
    ['active == true', true],
    ['active == TRUE', true],
    ['active == false', false],
    ['quote == "say \\"hi\\""', true],
    ['  team == "blue"   ', true],
    // Array indices in brackets, not dots.
    ['routing.skills[1] == "Support"', true],
    ['routing.skills[0] == "Support"', false],
    ['routing.skills[5] == "Sales"', false],
    ['routing.skills[10] == "Sales"', false],
    ['team[0] == "b"', false],
    ['routing.skills.0 == "Sales"', false],
  ])('%s → %s', (expression, expected) => {
    expect(matchesTargetWorkers(expression, agent)).toBe(expected);
  });

  it.each([
    'task.type == "vip"',
    'routing.skills HAS',
    'team ~ "blue"',
    'team == "blue" AND',
    'team == "blue" "x"',
    '(team == "blue"',
    '(team == "blue"]',
    'team IN [',
    'team == "blue',
    'team BETWEEN 1',
    'languages IN ["en"]',
    'languages NOT IN ["fr"]',
    'routing == "x"',
    'routing IN ["x"]',
    'team > "a"',
    'routing.skills[-1] == "Sales"',
    'routing.skills[x] == "Sales"',
    'routing.skills[1.5] == "Support"',
    'team NOT "blue"',
    ...['AND', 'OR', 'HAS', 'CONTAINS', 'IN', 'NOT'].map((keyword) => `team == ${keyword}`),
  ])('cannot decide %s: null, never a guess', (expression) => {
    expect(matchesTargetWorkers(expression, agent)).toBeNull();
  });
});

describe('the one-clause HAS form', () => {
  it.each([
    ['routing.skills HAS "Sales"', { path: 'routing.skills', value: 'Sales' }],
    ["worker.skills has 'a b'", { path: 'skills', value: 'a b' }],
    ['  skills   HAS   "x"  ', { path: 'skills', value: 'x' }],
    ['a.task.b HAS "x"', { path: 'a.task.b', value: 'x' }],
  ])('%s is a HAS clause', (expression, clause) => {
    expect(hasClause(expression)).toEqual(clause);
  });

  it.each(['task.skills HAS "x"', 'skills HAS "x" AND team == "blue"', 'skills HASx "x"', 'skills HAS "x\\"y"', 'skills HAS x', 'skills == "x"', 'x skills HAS "x"', '1skills HAS "x"', 'skills HAS "x" y'])('%s is not', (expression) => {
    expect(hasClause(expression)).toBeNull();
  });
});

describe('attribute paths', () => {
  it('follows objects by dots, never into arrays or through scalars', () => {
    const attributes = { routing: { skills: ['Sales'], level: 3 } };
    expect(attributeAt(attributes, 'routing.level')).toBe(3);
    expect(attributeAt(attributes, 'routing.skills')).toEqual(['Sales']);
    expect(attributeAt(attributes, 'routing.skills.0')).toBeUndefined();
    expect(attributeAt(attributes, 'routing.level.x')).toBeUndefined();
    expect(attributeAt(attributes, 'nothing.here')).toBeUndefined();
    expect(attributeAt({ routing: null }, 'routing.level')).toBeUndefined();
  });
});
