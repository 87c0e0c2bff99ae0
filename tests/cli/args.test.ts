import { parseArgs, USAGE } from '../../src/cli/args';

describe('parseArgs', () => {
  it.each([[['serve'], 'serve'], [['migrate'], 'migrate'], [['help'], 'help'], [[], 'help'], [['--help'], 'help'], [['-h'], 'help'],
    [['migrate', '--help'], 'help'], [['serve', '-h'], 'help']])('reads %j as %s', (argv, command) => {
    expect(parseArgs(argv)).toEqual({ command });
  });

  it('reads serve --role in both spellings and refuses anything else after serve', () => {
    expect(parseArgs(['serve', '--role', 'projector'])).toEqual({ command: 'serve', roles: 'projector' });
    expect(parseArgs(['serve', '--role=api'])).toEqual({ command: 'serve', roles: 'api' });
    for (const argv of [['serve', '--role'], ['serve', '--role=api', 'x'], ['serve', 'now'], ['serve', '--role=']]) {
      expect(parseArgs(argv)).toMatchObject({ command: 'invalid', error: expect.stringMatching(/"serve" takes only --role/) });
    }
  });

  it('rejects an unknown command', () => {
    expect(parseArgs(['rebuild'])).toEqual({ command: 'invalid', error: 'unknown command "rebuild"' });
  });

  it('rejects arguments after a command', () => {
    expect(parseArgs(['migrate', 'now', 'please'])).toEqual({ command: 'invalid', error: '"migrate" takes no arguments (got "now please")' });
  });

  it('documents every command', () => {
    for (const command of ['serve', 'migrate', 'help']) expect(USAGE).toContain(`  ${command} `);
  });
});
