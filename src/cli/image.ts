// `pocketstack image make-cirros [PATH]`: with no internet to fetch CirrOS from, a small valid
// qcow2 with CirrOS 0.3.4's name and virtual size, ready for `glance image-create --file`.
// It runs locally; no cloud needed.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { buildSparseQcow2 } from '../services/glance/index.js';

export const CIRROS_FILE_NAME = 'cirros-0.3.4-x86_64-disk.img';
/** `qemu-img info` of the real cirros-0.3.4-x86_64-disk.img: virtual size 39.2 MiB (41126400 bytes). */
export const CIRROS_VIRTUAL_SIZE = 41126400;

export function makeCirros(path = CIRROS_FILE_NAME): { path: string; size: number } {
  const bytes = buildSparseQcow2(CIRROS_VIRTUAL_SIZE);
  writeFileSync(path, bytes);
  return { path, size: bytes.length };
}

/** 1G, 512M, 1048576 … as bytes (binary units, as Glance's sizes). */
export function parseByteSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])?i?B?$/i.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`invalid size '${text}' (use e.g. 1G, 512M)`);
  const power = m[2] ? 'KMGT'.indexOf(m[2].toUpperCase()) + 1 : 0;
  return Math.round(Number(m[1]) * 1024 ** power);
}

export function imageCommand(): Command {
  const image = new Command('image').description('image helpers that run locally (no cloud needed)');
  image
    .command('make-cirros')
    .description(`write a small valid qcow2 named like CirrOS 0.3.4 (default ./${CIRROS_FILE_NAME})`)
    .argument('[path]', 'file to write', CIRROS_FILE_NAME)
    .action((path: string) => {
      const made = makeCirros(path);
      process.stdout.write(
        `${made.path}: qcow2, virtual size 39.2 MiB (${CIRROS_VIRTUAL_SIZE} bytes), ${made.size} bytes on disk\n`,
      );
    });
  return image;
}
