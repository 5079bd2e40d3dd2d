// The rules glance.domain.Image and its policy proxies apply when a base attribute is set (at
// create and by PATCH): who may publicize, formats fixed once data exists, no negative sizes,
// owner changes for admins only, tags deduplicated within the quota.
import type { ImageRow, ImageVisibility } from '../../store/index.js';
import { forbidden } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { negativeValue, tagLimit } from './errors.js';
import type { BaseAttribute } from './patch.js';
import { glancePolicy, target } from './policy.js';

/** Glance's quotas: -1 is unlimited. */
export const overQuota = (n: number, quota: number) => quota >= 0 && n > quota;

export function setAttribute(
  ctx: RequestContext,
  image: ImageRow,
  attr: BaseAttribute,
  value: unknown,
  tagQuota: number,
): void {
  switch (attr) {
    case 'name':
      image.name = value as string | null;
      break;
    case 'visibility':
      if (value === 'public' && image.visibility !== 'public')
        glancePolicy.enforce('publicize_image', ctx, target(image));
      if (value === 'community' && image.visibility !== 'community')
        glancePolicy.enforce('communitize_image', ctx, target(image));
      image.visibility = value as ImageVisibility;
      break;
    case 'protected':
      image.protected = value as boolean;
      break;
    case 'os_hidden':
      image.osHidden = value as boolean;
      break;
    case 'container_format':
    case 'disk_format':
      if (image.status !== 'queued')
        throw forbidden(`Attribute ${attr} can be only replaced for a queued image.`);
      if (attr === 'disk_format') image.diskFormat = value as string | null;
      else image.containerFormat = value as string | null;
      break;
    case 'min_ram':
    case 'min_disk': {
      const n = value as number;
      if (n < 0) throw negativeValue(attr, n);
      if (attr === 'min_ram') image.minRam = n;
      else image.minDisk = n;
      break;
    }
    case 'owner':
      if (!isAdmin(ctx) && value !== image.owner) throw forbidden("Owner can't be updated by non admin.");
      image.owner = value as string | null;
      break;
    case 'tags': {
      const tags = [...new Set(value as string[])];
      if (overQuota(tags.length, tagQuota)) throw tagLimit(tags.length, tagQuota);
      image.tags = tags;
      break;
    }
  }
}
