import type { Command } from 'commander';
import {
  SIGN_IN_METHODS,
  type SignInMethod,
  signInMethodLabel,
} from '../../workspace/sign-in-methods.js';
import { usageError } from '../exit-codes.js';
import { duration, durationOrOff, onOff, validated } from '../input.js';
import type { Runner } from '../program.js';
import { detailedWorkspace, WORKSPACE_ARGUMENT, workspaceLines } from './workspace.commands.js';

/** One `--<method> on|off` per sign-in method of the table. */
interface SettingsOptions extends Partial<Record<SignInMethod, boolean>> {
  sessionLifetime?: number;
  idleTimeout?: number | 'off';
  scimOnly?: boolean;
  force?: boolean;
}

const OPTION_OF_FIELD = {
  ...Object.fromEntries(SIGN_IN_METHODS.map((m) => [`signInMethods.${m}`, `--${m}`])),
  sessionLifetimeSeconds: '--session-lifetime',
  sessionIdleTimeoutSeconds: '--idle-timeout',
  scimOnlyProvisioning: '--scim-only',
};

/** The settings PATCH body from the options given (left-out options change nothing). */
function settingsChange(options: SettingsOptions) {
  const methods = Object.fromEntries(
    SIGN_IN_METHODS.filter((m) => options[m] !== undefined).map((m) => [m, options[m]]),
  );
  return {
    ...(Object.keys(methods).length > 0 && { signInMethods: methods }),
    sessionLifetimeSeconds: options.sessionLifetime,
    sessionIdleTimeoutSeconds: options.idleTimeout === 'off' ? null : options.idleTimeout,
    scimOnlyProvisioning: options.scimOnly,
  };
}

export function registerSettingsCommands(program: Command, run: Runner): void {
  const command = program
    .command('settings:set')
    .description('Set sign-in methods and session lifetimes')
    .addHelpText(
      'after',
      '\nOptions left out change nothing. Switching a method off signs out the sessions made with it.',
    )
    .argument('<workspace>', WORKSPACE_ARGUMENT);
  for (const method of SIGN_IN_METHODS) {
    command.option(`--${method} <on|off>`, `${signInMethodLabel(method)} sign-in`, onOff);
  }
  command
    .option(
      '--session-lifetime <duration>',
      'how long a session lasts: 3600, 90m, 12h, 30d',
      duration,
    )
    .option(
      '--idle-timeout <duration|off>',
      'sign out after this long unused; off for never',
      durationOrOff,
    )
    .option('--scim-only <on|off>', 'only SCIM may add members', onOff)
    .option(
      '--force',
      'apply a change of sign-in methods that leaves nobody able to sign in (audited as forced)',
    )
    .action(
      run<SettingsOptions>(async (session, [slugOrId], options) => {
        const change = settingsChange(options);
        if (Object.values(change).every((value) => value === undefined)) {
          throw usageError('Nothing to change: give at least one setting (see --help).');
        }
        const { UpdateSettingsDto } = await import('../api.js');
        const input = await validated(UpdateSettingsDto, change, OPTION_OF_FIELD);
        const services = await session.services();
        const workspace = await services.workspace(slugOrId!);
        const updated = await services.workspaces.updateSettings(
          workspace.id,
          input,
          services.actor,
          { force: options.force === true },
        );
        const view = await detailedWorkspace(services, updated);
        return { data: view, text: workspaceLines(view) };
      }),
    );
}
