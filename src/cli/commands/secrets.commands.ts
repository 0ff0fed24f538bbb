import type { Command } from 'commander';
import { resealAll } from '../../secrets/reseal.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { Runner } from '../program.js';

export function registerSecretsCommands(program: Command, run: Runner): void {
  program
    .command('secrets:reseal')
    .description(
      'Seal every stored secret again under SECRET_KEY (after a rotation, before dropping SECRET_KEY_PREVIOUS)',
    )
    .addHelpText(
      'after',
      `
Values sealed under a SECRET_KEY_PREVIOUS key are sealed again under SECRET_KEY; values already
under it are left alone, so running it twice changes nothing. A value no configured key opens
is left as it is and reported (exit 1).`,
    )
    .action(
      run(async (session) => {
        const config = session.config;
        const counts = await session.withDataSource((dataSource) => resealAll(dataSource, config));
        const unreadable = counts.filter((count) => count.unreadable > 0);
        if (unreadable.length > 0) {
          throw new CliError(
            'SEALED_SECRETS_UNREADABLE',
            `${unreadable.map((c) => `${c.unreadable} in ${c.table}.${c.column}`).join(', ')} cannot be opened with SECRET_KEY or SECRET_KEY_PREVIOUS; the others were resealed.`,
            ExitCode.FAILURE,
            { counts },
          );
        }
        const data = counts.map(({ unreadableIds: _ids, ...count }) => count);
        return {
          data: { counts: data },
          text: data.map(
            (c) =>
              `${c.table}.${c.column}: ${c.resealed} resealed, ${c.current} already under SECRET_KEY (${c.total} in all)`,
          ),
        };
      }),
    );
}
