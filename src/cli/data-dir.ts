// The data directory: where state, logs, rc files, the run file and the control socket live,
// and the lock that keeps two clouds off one directory.
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function defaultDataDir(): string {
  return resolve(process.env.POCKETSTACK_HOME ?? join(homedir(), '.pocketstack'));
}

export interface RunFile {
  pid: number;
  bind: string;
  ports: Record<string, number>;
  controlSocket: string;
  dataDir: string;
  ephemeral: boolean;
  startedAt: string;
}

export const runFilePath = (dir: string) => join(dir, 'run.json');
export const lockPath = (dir: string) => join(dir, 'lock');
export const controlSocketPath = (dir: string) => join(dir, 'control.sock');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirBusy extends Error {}

/**
 * Takes the data directory's lock (O_EXCL file holding our pid). A lock left by a process that
 * no longer runs is stale and replaced; a live one is refused and nothing is touched.
 */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = lockPath(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
        } catch {}
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isFinite(pid) && pid !== process.pid && isAlive(pid))
        throw new DataDirBusy(
          `another pocketstack (pid ${pid}) is running on ${dir}; stop it first or use --data-dir`,
        );
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusy(`could not lock ${dir}`);
}

export function writeRunFile(dir: string, run: RunFile): void {
  writeFileSync(runFilePath(dir), `${JSON.stringify(run, null, 2)}\n`, { mode: 0o600 });
}

/** The run file of a live cloud on this data dir, or undefined (none, or stale from a killed process). */
export function readRunFile(dir: string): RunFile | undefined {
  const path = runFilePath(dir);
  if (!existsSync(path)) return undefined;
  try {
    const run = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
    return isAlive(run.pid) ? run : undefined;
  } catch {
    return undefined;
  }
}

export function removeRunFile(dir: string): void {
  rmSync(runFilePath(dir), { force: true });
}
