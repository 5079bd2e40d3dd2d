// libvirtd's view of one host: the defined domains, their ids and states, what `virsh` reads.
// Nova's libvirt driver (libvirt-driver.ts) defines, starts, stops and undefines domains here;
// the host tools find this object on the world host under LIBVIRT_PART. A domain gets an id when it
// starts (libvirtd counts from 1 since its own start) and loses it when it stops.
import { type Guest, openConsole } from '../../guest/index.js';
import type { WorldHost } from '../../world/world.js';

export const LIBVIRT_PART = 'libvirt';

/** virsh's state words (virshDomainStateToString). */
export type DomainState = 'running' | 'paused' | 'in shutdown' | 'shut off';

export interface DomainInterface {
  /** `<target dev=…>`, the host-side tap. */
  tap: string;
  /** `<source bridge=…>`, the port's qbr. */
  bridge: string;
  /** The guest's MAC, fa:16:3e:…. */
  mac: string;
  mtu: number;
  model: 'virtio';
}

export interface DomainDefinition {
  name: string;
  uuid: string;
  memoryKiB: number;
  vcpus: number;
  interfaces: DomainInterface[];
  /** The XML without the runtime parts (`id`, aliases, addresses, pty paths). */
  xml(live: { id: number | null; pty: string | null }): string;
}

export class LibvirtDomain {
  private runId: number | null = null;
  private ptyNo: number | null = null;
  paused = false;
  /** Whether libvirt holds a managed save image (`virsh managedsave`, Nova's suspend). */
  managedSave = false;

  constructor(
    readonly def: DomainDefinition,
    readonly guest: Guest,
    private readonly libvirt: Libvirt,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get uuid(): string {
    return this.def.uuid;
  }

  /** Started paused (Nova waits for network-vif-plugged so): qemu runs, the guest has not booted. */
  private held = false;

  get active(): boolean {
    return this.held || this.guest.state !== 'shut off';
  }

  get id(): number | null {
    return this.active ? this.runId : null;
  }

  get state(): DomainState {
    if (!this.active) return 'shut off';
    return this.paused ? 'paused' : this.guest.state;
  }

  /** The serial console's pty while the domain runs. */
  get pty(): string | null {
    return this.active ? `/dev/pts/${this.ptyNo}` : null;
  }

  /** `virsh start [--paused]`: a new id, then the guest powers on (or waits for `resume`). */
  start(opts: { paused?: boolean } = {}): void {
    if (this.active) return;
    this.runId = this.libvirt.allocateId();
    this.ptyNo = this.libvirt.allocatePty();
    this.paused = opts.paused === true;
    this.held = this.paused;
    if (!this.held) this.guest.boot();
  }

  /** `virsh resume`: the CPUs run again (a domain started paused boots now). */
  resume(): void {
    this.paused = false;
    if (!this.held) return;
    this.held = false;
    this.guest.boot();
  }

  /** `virsh destroy`: qemu goes, the guest with it. */
  stop(): void {
    this.held = false;
    this.paused = false;
    this.guest.destroy();
  }

  xml(): string {
    return this.def.xml({ id: this.id, pty: this.pty });
  }
}

export class Libvirt {
  private readonly domains = new Map<string, LibvirtDomain>();
  private nextId = 1;
  private nextPty = 0;

  allocateId(): number {
    return this.nextId++;
  }

  allocatePty(): number {
    return this.nextPty++;
  }

  /** `virsh define`: replaces an inactive definition of the same name. */
  define(def: DomainDefinition, guest: Guest): LibvirtDomain {
    const d = new LibvirtDomain(def, guest, this);
    this.domains.set(def.name, d);
    return d;
  }

  /** `virsh undefine`. */
  undefine(name: string): void {
    this.domains.delete(name);
  }

  byName(name: string): LibvirtDomain | undefined {
    return this.domains.get(name);
  }

  /** virsh's domain lookup: an id, then a UUID, then a name (vshLookupDomainBy). */
  lookup(ref: string): LibvirtDomain | undefined {
    const all = [...this.domains.values()];
    if (/^\d+$/.test(ref)) {
      const byId = all.find((d) => d.id === Number(ref));
      if (byId) return byId;
    }
    return all.find((d) => d.uuid === ref.toLowerCase()) ?? this.domains.get(ref);
  }

  /** Running domains by id, then (with `all`) the inactive ones by name, as `virsh list` sorts. */
  list(all: boolean): LibvirtDomain[] {
    const active = [...this.domains.values()].filter((d) => d.active).sort((a, b) => a.id! - b.id!);
    if (!all) return active;
    const inactive = [...this.domains.values()]
      .filter((d) => !d.active)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return [...active, ...inactive];
  }
}

/** A domain on a host that carries a libvirt (the world host's LIBVIRT_PART). */
export function domainOn(
  host: { part<T>(key: string): T | undefined } | undefined,
  instanceName: string,
): LibvirtDomain | undefined {
  return host?.part<Libvirt>(LIBVIRT_PART)?.byName(instanceName);
}

/** The guest of a domain on a host. */
export function guestOn(
  host: { part<T>(key: string): T | undefined } | undefined,
  instanceName: string,
): Guest | undefined {
  return domainOn(host, instanceName)?.guest;
}

/**
 * Attaches to the serial console of a domain (`virsh console`): what the guest prints goes to
 * `out`, `input` types into ttyS0. A string says why there is no console.
 */
export function attachSerialConsole(
  host: WorldHost | undefined,
  instanceName: string,
  out: (text: string) => void,
): { input(text: string): void; close(): void } | string {
  const guest = guestOn(host, instanceName);
  if (guest === undefined || host === undefined)
    return `Domain not found: no domain with matching name '${instanceName}'`;
  if (guest.os === null) return 'The domain is not running';
  host.world.sync();
  const session = openConsole(guest, { out, err: out });
  return {
    input(text) {
      host.world.sync();
      session.input(text);
    },
    close: () => session.close(),
  };
}
