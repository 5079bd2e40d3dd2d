// The client side of `pocketstack host list` and `pocketstack host exec HOST -- CMD ARGS…`: the
// command runs in the cloud's process (host-command.ts); this streams its output, forwards piped
// stdin (iptables-restore < rules), passes whether stdout is a terminal (ovs-ofctl's format), and
// turns the first Ctrl-C into an interrupt of the remote command (tcpdump and ping print their
// summaries), a second one into leaving at once.
import { Command } from 'commander';
import { runRemote, socketOf } from './control-client.js';
import { defaultDataDir } from './data-dir.js';

async function remote(dataDir: string | undefined, argv: string[], interactive: boolean): Promise<number> {
  const socket = socketOf(dataDir ?? defaultDataDir());
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  if (interactive) process.on('SIGINT', onSigint);
  // piped input goes to the command (iptables-restore < rules.txt); a terminal's does not
  const stdin = interactive && process.stdin.isTTY !== true ? process.stdin : undefined;
  try {
    return await runRemote(socket, argv, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      tty: process.stdout.isTTY === true,
      columns: process.stdout.columns ?? 80,
      stdin,
      interrupt: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
    // the command is over: stop reading a stdin that may never end (a pipe left open by the caller)
    stdin?.destroy();
  }
}

export function hostCommand(): Command {
  const host = new Command('host')
    .description('the emulated hosts of the running cloud')
    .enablePositionalOptions();
  host
    .command('list')
    .description('hosts, roles, underlay IPs, RAM used/total and guests')
    .option('--data-dir <dir>', 'data dir of the cloud to ask')
    .action(async (o: { dataDir?: string }) => {
      process.exitCode = await remote(o.dataDir, ['host', 'list'], false);
    });
  host
    .command('exec')
    .description('run a host tool on an emulated host: host exec HOST -- CMD ARGS… (or HOST "CMD | grep X")')
    .option('--data-dir <dir>', 'data dir of the cloud to ask')
    .argument('<host>', 'host name (see pocketstack host list)')
    .argument('<command...>', 'the command and its arguments')
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (name: string, command: string[], o: { dataDir?: string }) => {
      // commander keeps a `--` that follows the host name among the command words
      const argv = command[0] === '--' ? command.slice(1) : command;
      process.exitCode = await remote(o.dataDir, ['host', 'exec', name, '--', ...argv], true);
    });
  return host;
}
