// The client side of `pocketstack vm exec SERVER -- CMD …` and `pocketstack vm console SERVER`
// (vm-command.ts runs them in the cloud). exec streams the command's output and ends with its exit
// status, Ctrl-C interrupting the guest's command; console puts the terminal in raw mode, so every
// key (Ctrl-C included) goes to the guest, until Ctrl-] detaches as with `virsh console`.
import { Command } from 'commander';
import { runRemote, socketOf } from './control-client.js';
import { defaultDataDir } from './data-dir.js';

async function exec(dataDir: string | undefined, argv: string[]): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await runRemote(socketOf(dataDir ?? defaultDataDir()), argv, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      tty: process.stdout.isTTY === true,
      columns: process.stdout.columns ?? 80,
      interrupt: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function consoleSession(dataDir: string | undefined, server: string): Promise<number> {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  try {
    return await runRemote(socketOf(dataDir ?? defaultDataDir()), ['vm', 'console', server], {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      tty: process.stdout.isTTY === true,
      columns: process.stdout.columns ?? 80,
      stdin,
    });
  } finally {
    if (raw) stdin.setRawMode(false);
    stdin.destroy();
  }
}

export function vmCommand(): Command {
  const vm = new Command('vm').description("the guests of the cloud's servers").enablePositionalOptions();
  vm.command('exec')
    .description(
      "run one command in a server's guest: vm exec SERVER -- CMD ARGS… (waits for the boot, up to 60 s)",
    )
    .option('--data-dir <dir>', 'data dir of the cloud to ask')
    .argument('<server>', 'server name or id')
    .argument('<command...>', 'the command and its arguments')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (server: string, command: string[], o: { dataDir?: string }) => {
      const argv = command[0] === '--' ? command.slice(1) : command;
      process.exitCode = await exec(o.dataDir, ['vm', 'exec', server, '--', ...argv]);
    });
  vm.command('console')
    .description("the serial console of a server's guest (Ctrl-] detaches)")
    .option('--data-dir <dir>', 'data dir of the cloud to ask')
    .argument('<server>', 'server name or id')
    .action(async (server: string, o: { dataDir?: string }) => {
      process.exitCode = await consoleSession(o.dataDir, server);
    });
  return vm;
}
