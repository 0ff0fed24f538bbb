import { Command, CommanderError } from 'commander';
import { type CliIo, processIo } from './cli-io.js';
import type { CliSession } from './cli-session.js';
import { registerConfigCommands } from './commands/config.commands.js';
import { registerDomainCommands } from './commands/domain.commands.js';
import { registerMemberCommands } from './commands/member.commands.js';
import { registerMigrationCommands } from './commands/migration.commands.js';
import { registerOidcCommands } from './commands/oidc.commands.js';
import { registerSamlCommands } from './commands/saml.commands.js';
import { registerScimCommands } from './commands/scim.commands.js';
import { registerSecretsCommands } from './commands/secrets.commands.js';
import { registerSessionCommands } from './commands/session.commands.js';
import { registerSettingsCommands } from './commands/settings.commands.js';
import { registerWebhookCommands } from './commands/webhook.commands.js';
import { registerWorkspaceCommands } from './commands/workspace.commands.js';
import { ExitCode, failureOf } from './exit-codes.js';
import { humanOutput, jsonOutput, type Outcome, type Output } from './output.js';

/** What a command does with its session, positional arguments and options. */
export type Handler<Options> = (
  session: CliSession,
  args: string[],
  options: Options,
) => Promise<Outcome>;

/** Turns a handler into a commander action that prints its outcome. */
export type Runner = <Options>(handler: Handler<Options>) => (this: Command) => Promise<void>;

const EXIT_CODES_HELP = `
Exit codes: 0 done, 1 failure, 2 usage error or invalid input, 3 not found,
4 refused by a rule or a conflict, 5 database unreachable or migrations pending.
Configuration comes from the same environment variables as the service (docs/cli.md).`;

function buildProgram(output: Output, io: CliIo): Command {
  const program = new Command('gatehouse')
    .description(
      'Administer Gatehouse from scripts: workspaces, members, sign-in, SCIM, migrations.',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors are printed by runCli, as JSON with --json.
      outputError: () => undefined,
      getOutHelpWidth: () => (io.stdout.isTTY && io.stdout.columns) || 80,
      getErrHelpWidth: () => (io.stderr.isTTY && io.stderr.columns) || 80,
      getOutHasColors: () => io.stdout.isTTY === true && io.stdout.hasColors?.() === true,
      getErrHasColors: () => io.stderr.isTTY === true && io.stderr.hasColors?.() === true,
    })
    .addHelpText('after', EXIT_CODES_HELP);

  const run: Runner = <Options>(handler: Handler<Options>) =>
    async function (this: Command) {
      const { CliSession } = await import('./cli-session.js');
      const session = new CliSession(io);
      try {
        output.result(
          await handler(session, this.processedArgs as string[], this.opts() as Options),
        );
      } finally {
        await session.close();
      }
    };

  registerWorkspaceCommands(program, run);
  registerMemberCommands(program, run);
  registerSettingsCommands(program, run);
  registerSessionCommands(program, run);
  registerDomainCommands(program, run);
  registerSamlCommands(program, run);
  registerOidcCommands(program, run);
  registerScimCommands(program, run);
  registerWebhookCommands(program, run);
  registerMigrationCommands(program, run);
  registerConfigCommands(program, run);
  registerSecretsCommands(program, run);
  for (const command of program.commands) {
    command.option('--json', 'print the result as one JSON document on stdout');
  }
  return program;
}

/**
 * Runs `gatehouse <argv>`; resolves with the exit code. `io` (the process's streams and
 * environment by default) lets a test run commands in its own process, each with its own output.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  const output = argv.includes('--json') ? jsonOutput(io) : humanOutput(io);
  const program = buildProgram(output, io);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and `help <command>` end here too, having printed the help.
      if (error.exitCode === 0) return ExitCode.OK;
      output.failure({
        code: 'USAGE',
        message: `${error.message.replace(/^error: /, '')} (see gatehouse --help)`,
        exitCode: ExitCode.USAGE,
      });
      return ExitCode.USAGE;
    }
    const failure = failureOf(error);
    output.failure(failure);
    return failure.exitCode;
  }
}
