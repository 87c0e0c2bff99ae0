import { parseArgs, USAGE } from '../../src/cli/args';

describe('parseArgs', () => {
  it.each([[['serve'], 'serve'], [['migrate'], 'migrate'], [['help'], 'help'], [[], 'help'], [['--help'], 'help'], [['-h'], 'help'],
    [['migrate', '--help'], 'help'], [['serve', '-h'], 'help']])('reads %j as %s', (argv, command) => {
    expect(parseArgs(argv)).toEqual({ command });
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
