import { builtStatements, MAX_BUILT_STATEMENTS, statementFor } from './prepared-statements.js';

describe('statementFor', () => {
  it('names a text by its content: the same text gets the same name, another text another', () => {
    const page = statementFor('SELECT 1 WHERE $1::int = 1');
    expect(page.name).toMatch(/^gatehouse_built_[0-9a-f]{32}$/);
    expect(statementFor('SELECT 1 WHERE $1::int = 1')).toEqual(page);
    expect(statementFor('SELECT 2 WHERE $1::int = 1').name).not.toBe(page.name);
    expect(builtStatements()).toEqual(
      expect.arrayContaining([{ name: page.name, text: 'SELECT 1 WHERE $1::int = 1' }]),
    );
  });

  it(`names at most ${MAX_BUILT_STATEMENTS} texts; later texts run unnamed, earlier ones keep their names`, () => {
    const first = statementFor('SELECT 0');
    for (let i = 0; builtStatements().length < MAX_BUILT_STATEMENTS; i++) {
      statementFor(`SELECT ${i} + 1000`);
    }
    expect(statementFor('SELECT -1 /* one text too many */')).toEqual({
      text: 'SELECT -1 /* one text too many */',
    });
    expect(statementFor('SELECT 0')).toEqual(first);
    expect(builtStatements()).toHaveLength(MAX_BUILT_STATEMENTS);
  });
});
