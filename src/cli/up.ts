// `pocketstack up`: the cloud in the foreground until Ctrl-C, then a clean shutdown.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cloud, startCloud } from '../cloud.js';
import { type LayoutOptions, resolveLayout } from '../sim/layout.js';
import { acquireLock, controlSocketPath, DataDirBusy, removeRunFile, writeRunFile } from './data-dir.js';
import { registerHostCommands } from './host-command.js';
import { writeCredentialFiles } from './rc-files.js';
import { registerStatus } from './status.js';
import { registerVmCommands } from './vm-command.js';

export interface UpOptions {
  dataDir?: string;
  defaultDataDir: string;
  ephemeral: boolean;
  bind: string;
  portOffset: number;
  layout?: LayoutOptions;
  /** Where neutron/neutron.conf and neutron/plugins/ml2/ml2_conf.ini are read (`--config-dir`). */
  configDir?: string;
  /** Glance's image_size_cap in bytes. */
  imageSizeCap?: number;
  /** nova.conf's vif_plugging_timeout in seconds (see CloudOptions). */
  vifPluggingTimeout?: number;
  out?: (line: string) => void;
}

export interface Running {
  cloud: Cloud;
  rcAdmin: string;
  stop(): Promise<void>;
}

export async function up(o: UpOptions): Promise<Running> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  // --ephemeral without --data-dir: a temporary directory for the rc files, logs and socket.
  const dataDir = o.dataDir ?? (o.ephemeral ? mkdtempSync(join(tmpdir(), 'pocketstack-')) : o.defaultDataDir);
  const layout = resolveLayout(o.layout);
  const release = acquireLock(dataDir);
  let cloud: Cloud;
  try {
    cloud = await startCloud({
      dataDir,
      ephemeral: o.ephemeral,
      bind: o.bind,
      portOffset: o.portOffset,
      imageSizeCap: o.imageSizeCap,
      layout,
      configDir: o.configDir,
      vifPluggingTimeout: o.vifPluggingTimeout,
      say: out,
    });
  } catch (e) {
    release();
    throw e;
  }
  registerStatus(cloud);
  registerHostCommands(cloud);
  registerVmCommands(cloud);
  const socket = controlSocketPath(dataDir);
  await cloud.control.listen(socket);
  const rc = writeCredentialFiles(
    dataDir,
    cloud.endpoints.identity,
    cloud.credentials.admin,
    cloud.credentials.demo,
  );
  writeRunFile(dataDir, {
    pid: process.pid,
    bind: cloud.bind,
    ports: cloud.ports,
    controlSocket: socket,
    dataDir,
    ephemeral: cloud.ephemeral,
    startedAt: cloud.startedAt.toISOString(),
  });
  const ms = Date.now() - cloud.startedAt.getTime();
  out(`pocketstack ready in ${ms} ms${cloud.ephemeral ? ` (ephemeral, data dir ${dataDir})` : ''}`);
  out(`  identity  ${cloud.endpoints.identity}`);
  out(`  compute   ${cloud.endpoints.compute}`);
  out(`  image     ${cloud.endpoints.image}`);
  out(`  network   ${cloud.endpoints.network}`);
  out(`credentials: source ${rc.admin}   (also ${rc.demo}, ${rc.clouds})`);
  out(`logs: ${join(dataDir, 'logs')}`);
  let stopping: Promise<void> | null = null;
  return {
    cloud,
    rcAdmin: rc.admin,
    stop: () => {
      stopping ??= (async () => {
        await cloud.stop();
        removeRunFile(dataDir);
        release();
      })();
      return stopping;
    },
  };
}

export { DataDirBusy };
