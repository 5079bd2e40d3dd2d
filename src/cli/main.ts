// The pocketstack command line.
import { Command, InvalidArgumentError } from 'commander';
import { NotRunning, runRemote, socketOf } from './control-client.js';
import { DataDirBusy, defaultDataDir } from './data-dir.js';
import { hostCommand } from './host-cli.js';
import { imageCommand, parseByteSize } from './image.js';
import type { Running } from './up.js';
import { vmCommand } from './vm-cli.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 60000)
    throw new InvalidArgumentError('expected a whole number from 0 to 60000');
  return n;
};

async function remote(dataDir: string | undefined, argv: string[]): Promise<number> {
  const socket = socketOf(dataDir ?? defaultDataDir());
  return runRemote(socket, argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    tty: process.stdout.isTTY === true,
    columns: process.stdout.columns ?? 80,
  });
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name('pocketstack')
    .description(
      'An OpenStack cloud in one process: Keystone, Glance, Nova and Neutron with an emulated data plane.',
    )
    .showHelpAfterError()
    .enablePositionalOptions();

  program
    .command('up')
    .description('run the cloud in the foreground until Ctrl-C')
    .option(
      '--data-dir <dir>',
      'where state, logs and credentials live (default ~/.pocketstack or $POCKETSTACK_HOME)',
    )
    .option('--ephemeral', 'keep state in memory only', false)
    .option('--bind <addr>', 'address the APIs listen on', '127.0.0.1')
    .option('--port-offset <n>', 'add N to every port', int, 0)
    .option('--layout <name>', "'allinone', 'multinode' or a layout YAML file", 'allinone')
    .option('--computes <n>', 'compute hosts of the multinode layout', int, 2)
    .option('--host-ram <size>', "the compute hosts' RAM, e.g. 6G")
    .option(
      '--config-dir <dir>',
      'read neutron/neutron.conf, neutron/plugins/ml2/ml2_conf.ini and glance/glance-api.conf from DIR',
    )
    .option('--image-size-cap <size>', "Glance's largest image, e.g. 1G (default), 512M", parseByteSize)
    .action(
      async (o: {
        dataDir?: string;
        ephemeral: boolean;
        bind: string;
        portOffset: number;
        layout: string;
        computes: number;
        hostRam?: string;
        configDir?: string;
        imageSizeCap?: number;
      }) => {
        let running: Running;
        try {
          // the cloud's modules load only for `up`: client commands (status, host exec) start fast
          const { up } = await import('./up.js');
          running = await up({
            ...o,
            layout: { layout: o.layout, computes: o.computes, hostRam: o.hostRam },
            defaultDataDir: defaultDataDir(),
          });
        } catch (e) {
          process.stderr.write(`pocketstack: ${(e as Error).message}\n`);
          process.exit(e instanceof DataDirBusy ? 3 : 1);
        }
        const shutdown = (signal: string) => {
          process.stdout.write(`pocketstack: ${signal}, stopping (state flushed)\n`);
          running.stop().then(() => process.exit(0));
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      },
    );

  program
    .command('status')
    .description('hosts, services, uptime and ports of the running cloud')
    .option('--data-dir <dir>', 'data dir of the cloud to ask')
    .action(async (o: { dataDir?: string }) => {
      process.exitCode = await remote(o.dataDir, ['status']);
    });

  program.addCommand(imageCommand());

  program.addCommand(hostCommand());

  program.addCommand(vmCommand());

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof NotRunning) {
      process.stderr.write(`pocketstack: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
