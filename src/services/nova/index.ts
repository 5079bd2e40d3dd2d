// Nova: flavors, key pairs, servers with the conductor and scheduler, hosts, quotas and consoles
// over one database; nova-compute runs per host as an agent and is reached over the bus.
import type { Bus } from '../../bus/index.js';
import type { Layout } from '../../sim/layout.js';
import type { LogRegistry } from '../../sim/oslo-log.js';
import {
  type Db,
  FlavorRepo,
  InstanceActionRepo,
  InstanceRepo,
  KeyPairRepo,
  PlacementRepo,
  SettingsRepo,
} from '../../store/index.js';
import type { ImageLookup, NetworkApi } from './collaborators.js';
import { Conductor } from './conductor.js';
import { Consoles } from './consoles.js';
import { Flavors } from './flavors.js';
import { Hosts } from './hosts.js';
import { InstanceActions } from './instance-actions.js';
import { KeyPairs } from './keypairs.js';
import { InstanceNetworking, type VifInfo } from './ports.js';
import { Quotas } from './quotas.js';
import { Scheduler } from './scheduler.js';
import { ServerLifecycle } from './server-lifecycle.js';
import { Servers } from './servers.js';
import { POWER, VM } from './states.js';

export type * from './collaborators.js';
export { NO_IMAGES, NO_NETWORKING } from './collaborators.js';
export { instanceName } from './conductor.js';
export { type Flavor, type FlavorCreate, PACKSTACK_FLAVORS, type PublicFilter } from './flavors.js';
export {
  DEFAULT_AZ,
  type Hypervisor,
  hypervisorOf,
  PLACEMENT_DEFAULTS,
  SERVICE_DOWN_TIME_MS,
  uptimeLine,
} from './hosts.js';
export type { KeyPair } from './keypairs.js';
export { novaPolicy } from './policy.js';
export type { NetworkRequest, RequestedNetwork, VifInfo } from './ports.js';
export { QUOTA_DEFAULTS, type QuotaSet } from './quotas.js';
export { MAX_ATTEMPTS } from './scheduler.js';
export {
  type Instance,
  instanceNotFound,
  type ServerCreate,
  type ServerFilters,
  sanitizeHostname,
} from './servers.js';
export { fingerprintOfPublicKey, generateRsaKey, md5Fingerprint } from './ssh-keys.js';
export { POWER, statusOf, TASK, VM } from './states.js';

export interface NovaOptions {
  db: Db;
  bus: Bus;
  layout: Layout;
  logs: LogRegistry;
  images: ImageLookup;
  network: NetworkApi;
  /** novncproxy_base_url: http://HOST:6080/vnc_auto.html */
  novncBaseUrl: string;
  now?: () => Date;
}

export class Nova {
  readonly flavors: Flavors;
  readonly keypairs: KeyPairs;
  readonly quotas: Quotas;
  readonly hosts: Hosts;
  readonly scheduler: Scheduler;
  readonly conductor: Conductor;
  readonly servers: Servers;
  readonly lifecycle: ServerLifecycle;
  readonly actions: InstanceActions;
  readonly consoles: Consoles;
  /** Neutron as Nova sees it (the os-security-groups proxy reads it). */
  readonly network: NetworkApi;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(o: NovaOptions) {
    const now = o.now ?? (() => new Date());
    const instances = new InstanceRepo(o.db);
    const placement = new PlacementRepo(o.db);
    const keypairRepo = new KeyPairRepo(o.db);
    this.flavors = new Flavors(new FlavorRepo(o.db), now);
    const settings = new SettingsRepo(o.db);
    // packstack's flavors once, on the first start: a flavor the user deleted stays deleted.
    if (!settings.get('nova_flavors_seeded')) {
      this.flavors.seedDefaults();
      settings.set('nova_flavors_seeded', '1');
    }
    this.quotas = new Quotas(placement, instances);
    this.keypairs = new KeyPairs(keypairRepo, this.quotas, now);
    this.hosts = new Hosts(o.layout, placement, now);
    this.scheduler = new Scheduler(
      this.hosts,
      placement,
      o.logs.file('nova-scheduler.log').logger('nova.scheduler.manager'),
    );
    this.network = o.network;
    const networking = new InstanceNetworking(o.network);
    this.actions = new InstanceActions(new InstanceActionRepo(o.db), now);
    const conductorLog = o.logs.file('nova-conductor.log');
    this.conductor = new Conductor(
      o.bus,
      instances,
      this.scheduler,
      networking,
      {
        conductor: conductorLog.logger('nova.conductor.manager'),
        scheduler: conductorLog.logger('nova.scheduler.utils'),
      },
      this.actions,
      now,
    );
    this.servers = new Servers(
      instances,
      keypairRepo,
      this.flavors,
      this.quotas,
      this.hosts,
      o.images,
      o.network,
      networking,
      this.conductor,
      this.actions,
      o.logs.file('nova-api.log').logger('nova.compute.api'),
      now,
    );
    this.lifecycle = new ServerLifecycle(
      this.servers,
      (ctx, uuid) => this.servers.refreshNetworkInfo(ctx, uuid),
      instances,
      placement,
      networking,
      o.bus,
      this.actions,
      o.logs.file('nova-api.log').logger('nova.compute.api'),
      now,
    );
    this.consoles = new Consoles(placement, this.servers, o.novncBaseUrl, now);

    this.unsubscribe.push(
      o.bus.subscribe('compute.report_state', (r) => this.hosts.report(r)),
      o.bus.subscribe('compute.instance_power_state', (e) =>
        this.lifecycle.powerChanged(e.uuid, e.host, e.powerState),
      ),
      o.bus.subscribe('compute.instance_error', (e) => this.lifecycle.errorState(e.uuid, e.host)),
      // An agent (re)starting asks what its host should run: the instances placed there.
      o.bus.serve('get_host_instances', ({ host }) => ({
        instances: instances
          .onHost(host)
          .filter((i) => ([VM.ACTIVE, VM.STOPPED, VM.PAUSED, VM.SUSPENDED] as string[]).includes(i.vmState))
          .map((i) => ({
            request: {
              requestId: 'req-init-host',
              instance: Conductor.computeInstance(i),
              ports: (i.networkInfo as VifInfo[]).map((v) => v.port),
              attempt: 1,
            },
            // A paused guest comes back running (its memory is held); a suspended one stays saved.
            powerState: i.vmState === VM.ACTIVE || i.vmState === VM.PAUSED ? POWER.RUNNING : POWER.SHUTDOWN,
          })),
      })),
    );
  }

  /** Resolves when no build is in flight (tests, benchmarks, orderly shutdown). */
  idle(): Promise<void> {
    return this.conductor.idle();
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}
