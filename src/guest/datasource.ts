// cirros-ds and its datasources (cirros 0.3.4: src/sbin/cirros-ds, src/lib/cirros/ds/{configdrive,ec2},
// src/sbin/cirros-apply). `local` mode (S35) looks for a config drive; `net` mode (S45, skipped when
// local found one) asks the EC2 metadata service at 169.254.169.254 for the instance id: up to 20
// tries 2 s apart, each a `curl --max-time 10`. When the guest has no route there the request fails
// at once (the failures are ~2 s apart); with a route and nobody answering each try costs the full
// 10 s (~12 s apart), as real logs show. What was found is applied: the hostname becomes the first
// label of local-hostname.

import type { Datasource, GuestOs } from './os.js';
import type { Step } from './proc.js';

const S = 1e9;
export const METADATA_IP = 0xa9fea9fe; // 169.254.169.254
export const MDURL = 'http://169.254.169.254/2009-04-04';
const MAX_TRIES = 20;
const SLEEP_TIME = 2;
const CURL_MAX_TIME = 10;

/**
 * An HTTP client from inside the guest to the metadata service. `get` answers with the body, or
 * null when the request failed, after the (virtual) time the request took. The metadata service
 * will plug its TCP/HTTP path in here; without one, `noMetadataService` fails like curl does.
 */
export interface MetadataClient {
  get(os: GuestOs, url: string, done: (body: string | null) => void): void;
}

/** Nobody answers on 169.254.169.254:80: immediate failure without a route, a 10 s timeout with one. */
export const noMetadataService: MetadataClient = {
  get(os, _url, done) {
    const r = os.ns.ip.route(METADATA_IP);
    os.after(r === null ? 1_000_000 : CURL_MAX_TIME * S, () => done(null));
  },
};

/** What a config drive (Nova's `force_config_drive`) carries, from the server's meta_data.json. */
export interface ConfigDrive {
  uuid: string;
  name: string;
  hostname: string;
  availabilityZone: string;
  launchIndex: number;
}

const SEARCHED = 'nocloud configdrive ec2';

/** cirros-apply: the datasource's host name (first label) becomes the guest's. */
function apply(os: GuestOs, ds: Datasource): void {
  os.datasource = ds;
  const h = ds.items['local-hostname'] ?? ds.items.hostname;
  if (h) {
    os.hostname = h.split('.')[0];
    os.files.set('/etc/hostname', `${os.hostname}\n`);
  }
}

/** S35-cirros-ds-local. */
export function dsLocalStep(os: GuestOs, drive: ConfigDrive | null): Step {
  return (next) => {
    os.console.line(`cirros-ds 'local' up at ${os.uptimeText()}`);
    if (drive !== null) {
      apply(os, {
        name: 'configdrive',
        mode: 'local',
        items: {
          'instance-id': drive.uuid,
          name: drive.name,
          'local-hostname': drive.hostname,
          'availability-zone': drive.availabilityZone,
          'launch-index': String(drive.launchIndex),
        },
      });
      os.console.line('found datasource (configdrive, local)');
    } else {
      os.console.line(`no results found for mode=local. up ${os.uptimeText()}. searched: ${SEARCHED}`);
    }
    os.after(20_000_000, next);
  };
}

/** S45-cirros-net-ds: the EC2 datasource's instance-id loop, then the other keys. */
export function dsNetStep(os: GuestOs, client: MetadataClient): Step {
  return (next) => {
    if (os.datasource !== null) {
      next();
      return;
    }
    os.console.line(`cirros-ds 'net' up at ${os.uptimeText()}`);
    os.console.line(`checking ${MDURL}/instance-id`);
    let i = 0;
    const attempt = (): void => {
      i++;
      const up = os.uptimeText();
      client.get(os, `${MDURL}/meta-data/instance-id`, (body) => {
        if (body?.startsWith('i-')) {
          os.console.line(`successful after ${i}/${MAX_TRIES} tries: up ${up}. iid=${body}`);
          fetchKeys(os, client, body, next);
          return;
        }
        os.console.line(
          body === null
            ? `failed ${i}/${MAX_TRIES}: up ${up}. request failed`
            : `failed ${i}/${MAX_TRIES}: up ${up}. iid had '${body}'`,
        );
        if (i < MAX_TRIES) {
          os.after(SLEEP_TIME * S, attempt);
          return;
        }
        os.after(SLEEP_TIME * S, () => {
          os.console.line(`failed to read iid from metadata. tried ${MAX_TRIES}`);
          os.console.line(`no results found for mode=net. up ${os.uptimeText()}. searched: ${SEARCHED}`);
          next();
        });
      });
    };
    attempt();
  };
}

const EC2_KEYS: [string, string][] = [
  ['public-keys', 'public-keys'],
  ['ami-launch-index', 'launch-index'],
  ['instance-type', 'instance-type'],
  ['local-ipv4', 'local-ipv4'],
  ['public-ipv4', 'public-ipv4'],
  ['hostname', 'hostname'],
  ['local-hostname', 'local-hostname'],
  ['placement/availability-zone', 'availability-zone'],
];

function fetchKeys(os: GuestOs, client: MetadataClient, iid: string, next: () => void): void {
  const items: Record<string, string> = { 'instance-id': iid };
  let k = 0;
  const one = (): void => {
    if (k >= EC2_KEYS.length) {
      client.get(os, `${MDURL}/user-data`, (body) => {
        if (body === null) {
          os.console.line(`failed to get ${MDURL}/user-data`);
          os.console.line('warning: no ec2 metadata for user-data');
        } else items['user-data'] = body;
        apply(os, { name: 'ec2', mode: 'net', items });
        os.console.line('found datasource (ec2, net)');
        next();
      });
      return;
    }
    const [path, key] = EC2_KEYS[k++];
    client.get(os, `${MDURL}/meta-data/${path}`, (body) => {
      if (body === null) os.console.line(`warning: no ec2 metadata for ${key}`);
      else items[key] = body;
      one();
    });
  };
  one();
}
