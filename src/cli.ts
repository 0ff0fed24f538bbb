#!/usr/bin/env node
import module from 'node:module';

// Node ≥ 22.1 keeps compiled code between runs, and a command loads much of the service.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// `npx gatehouse <command>`: see docs/cli.md, or `gatehouse --help`.
const { runCli } = await import('./cli/program.js');
const exitCode = await runCli(process.argv.slice(2));
process.exitCode = exitCode;
// Every connection is closed by now; should a library still hold the event loop, do not hang
// a script (the timer itself does not keep the process alive).
setTimeout(() => process.exit(exitCode), 2000).unref();
