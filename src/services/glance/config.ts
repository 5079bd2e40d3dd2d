// The options glance-api reads from glance-api.conf, with Glance's defaults (glance/common/
// config.py, glance/api/common.py) except image_size_cap: pocketstack caps images at 1 GiB where
// Glance allows 1 TiB. The file pocketstack ships is etc/glance/glance-api.conf; `--config-dir`
// points at another directory holding glance/glance-api.conf.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigSchema, loadConfig, opt } from '../../sim/oslo-config.js';

const plumbing = (names: string[]) => Object.fromEntries(names.map((n) => [n, opt.str(null)]));

export const glanceApiConfSchema: ConfigSchema = {
  DEFAULT: {
    // Glance allows up to 8 EiB; a JavaScript number is exact up to 2^53.
    image_size_cap: opt.int(1024 ** 3, { min: 0, max: Number.MAX_SAFE_INTEGER }),
    limit_param_default: opt.int(25, { min: 1 }),
    api_limit_max: opt.int(1000, { min: 1 }),
    image_property_quota: opt.int(128, { min: -1 }),
    image_tag_quota: opt.int(128, { min: -1 }),
    image_member_quota: opt.int(128, { min: -1 }),
    show_image_direct_url: opt.bool(false),
    debug: opt.bool(false),
    workers: opt.int(null, { min: 0 }),
    bind_port: opt.int(9292, { min: 0, max: 65535 }),
    ...plumbing([
      'enabled_import_methods',
      'bind_host',
      'log_dir',
      'log_file',
      'transport_url',
      'state_path',
    ]),
  },
  glance_store: plumbing(['stores', 'default_store', 'filesystem_store_datadir']),
  image_format: {
    require_image_format_match: opt.bool(true),
    disk_formats: opt.list([
      'ami',
      'ari',
      'aki',
      'vhd',
      'vhdx',
      'vmdk',
      'raw',
      'qcow2',
      'vdi',
      'iso',
      'ploop',
    ]),
  },
  keystone_authtoken: plumbing([
    'www_authenticate_uri',
    'auth_uri',
    'auth_url',
    'auth_type',
    'username',
    'password',
    'project_name',
    'user_domain_name',
    'project_domain_name',
  ]),
  paste_deploy: plumbing(['flavor']),
  database: plumbing(['connection']),
};

export interface GlanceConfig {
  imageSizeCap: number;
  requireFormatMatch: boolean;
  limitParamDefault: number;
  apiLimitMax: number;
  /** -1: unlimited, as Glance's quotas. */
  imagePropertyQuota: number;
  imageTagQuota: number;
  imageMemberQuota: number;
  /** The file read, if any. */
  file?: string;
}

/** glance/glance-api.conf under `dir` (an etc directory), or the defaults when it is absent. */
export function loadGlanceConfig(dir: string, warn?: (m: string) => void): GlanceConfig {
  const path = join(dir, 'glance', 'glance-api.conf');
  const found = existsSync(path);
  const v = loadConfig(glanceApiConfSchema, found ? { path } : null, warn);
  const d = v.DEFAULT;
  return {
    imageSizeCap: d.image_size_cap as number,
    requireFormatMatch: v.image_format.require_image_format_match as boolean,
    limitParamDefault: d.limit_param_default as number,
    apiLimitMax: d.api_limit_max as number,
    imagePropertyQuota: d.image_property_quota as number,
    imageTagQuota: d.image_tag_quota as number,
    imageMemberQuota: d.image_member_quota as number,
    file: found ? path : undefined,
  };
}
