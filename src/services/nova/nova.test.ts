// Nova's build path without HTTP: the conductor, the scheduler over placement inventories and
// nova-compute agents on the bus, with a small in-memory Neutron and Glance.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startNovaComputes } from '../../agents/nova-compute/index.js';
import { Bus } from '../../bus/index.js';
import { allInOne, type Layout, layoutFromYaml, multiNode } from '../../sim/layout.js';
import { LogRegistry } from '../../sim/oslo-log.js';
import { openDatabase } from '../../store/index.js';
import { isServiceError, notFound } from '../errors.js';
import type { RequestContext } from '../policy.js';
import type { NetworkApi, NovaPort } from './collaborators.js';
import { Nova } from './index.js';

const ctx = (projectId = 'p1', admin = false): RequestContext => ({
  userId: `u-${projectId}`,
  userName: 'alice',
  userDomainId: 'default',
  projectId,
  projectName: projectId,
  projectDomainId: 'default',
  domainId: null,
  system: false,
  roles: admin ? ['admin', 'member', 'reader'] : ['member', 'reader'],
  token: 't',
  // Every API request has its own id (instance actions are keyed by it).
  requestId: `req-${randomUUID()}`,
});

/** Just enough Neutron: one VXLAN network with a /24 and sequential addresses. */
function fakeNeutron() {
  const ports = new Map<string, NovaPort>();
  const created: ((p: NovaPort) => void)[] = [];
  /** Hosts where ML2 cannot bind (no live agent there). */
  const unbindable = new Set<string>();
  let next = 3;
  let macs = 0x10;
  const net = {
    id: 'net-1',
    name: 'vxlan10',
    projectId: 'p1',
    shared: false,
    external: false,
    mtu: 1450,
    networkType: 'vxlan',
    segmentationId: 10,
    physicalNetwork: null,
    subnets: [{ id: 'sub-1', cidr: '172.16.10.0/24', gatewayIp: '172.16.10.1', ipVersion: 4 }],
  };
  const api: NetworkApi = {
    getNetwork: async (_c, id) => (id === net.id ? net : null),
    listNetworks: async () => [net],
    getPort: async (_c, id) => ports.get(id) ?? null,
    createPort: async (_c, b) => {
      const id = `port-${String(next).padStart(4, '0')}-aaaa`;
      const p: NovaPort = {
        id,
        networkId: b.networkId,
        macAddress: `fa:16:3e:00:00:${(macs++).toString(16)}`,
        fixedIps: [{ subnetId: 'sub-1', ipAddress: `172.16.10.${next++}` }],
        deviceId: b.deviceId,
        deviceOwner: b.deviceOwner,
        bindingHostId: b.bindingHostId,
        securityGroups: b.securityGroups ?? [],
        projectId: b.projectId,
        status: 'DOWN',
        vifType: unbindable.has(b.bindingHostId) ? 'binding_failed' : 'ovs',
      };
      ports.set(id, p);
      for (const fn of created) fn(p);
      return p;
    },
    updatePortBinding: async (_c, id, b) => {
      const p = ports.get(id);
      if (!p) throw notFound(`Port ${id} could not be found.`);
      Object.assign(p, b);
      return p;
    },
    deletePort: async (_c, id) => {
      if (!ports.delete(id)) throw notFound(`Port ${id} could not be found.`);
    },
    listPortsOfDevice: async (_c, device) => [...ports.values()].filter((p) => p.deviceId === device),
    floatingIpsOfPort: async () => [],
    resolveSecurityGroups: async (_c, _p, names) => names.map((n) => `sg-${n}`),
    listSecurityGroups: async () => [],
    setPortSecurityGroups: async (_c, id, ids) => {
      const p = ports.get(id);
      if (p) p.securityGroups = ids;
    },
  };
  return { api, ports, created, unbindable };
}

async function cloud(layout: Layout, o: { vifPluggingTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nova-unit-'));
  const db = openDatabase(':memory:');
  const bus = new Bus();
  const logs = new LogRegistry(join(dir, 'logs'));
  const neutron = fakeNeutron();
  const nova = new Nova({
    db,
    bus,
    layout,
    logs,
    images: {
      getImage: async (_c, id) =>
        id === 'img-1'
          ? {
              id,
              name: 'cirros-0.3.4-x86_64',
              status: 'active',
              diskFormat: 'qcow2',
              containerFormat: 'bare',
              size: 13287936,
              minDisk: 0,
              minRam: 0,
              properties: {},
            }
          : null,
    },
    network: neutron.api,
    novncBaseUrl: 'http://127.0.0.1:6080/vnc_auto.html',
  });
  const agents = await startNovaComputes({
    bus,
    hosts: layout.hosts,
    logFor: (h) => logs.file(`${h}/nova-compute.log`),
    reportIntervalMs: 0,
    vifPluggingTimeoutMs: o.vifPluggingTimeoutMs,
  });
  await bus.idle();
  const boot = async (name: string, c = ctx(), flavorRef = '1') => {
    const { instances } = await nova.servers.create(c, {
      name,
      imageRef: 'img-1',
      flavorRef,
      networks: [{ networkId: 'net-1' }],
    });
    await nova.idle();
    return nova.servers.get(c, instances[0].uuid);
  };
  const log = async (file: string) => {
    await logs.close();
    return readFileSync(join(dir, 'logs', file), 'utf8');
  };
  const stop = async () => {
    for (const a of agents) a.stop();
    await nova.idle();
    await bus.idle();
    db.close();
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const restartAgents = async () => {
    for (const a of agents.splice(0)) a.stop();
    agents.push(
      ...(await startNovaComputes({
        bus,
        hosts: layout.hosts,
        logFor: (h) => logs.file(`${h}/nova-compute.log`),
        reportIntervalMs: 0,
        vifPluggingTimeoutMs: o.vifPluggingTimeoutMs,
      })),
    );
  };
  return { nova, bus, agents, neutron, boot, log, stop, restartAgents };
}

const allInOneWithRam = (ramMb: number): Layout => {
  const l = allInOne();
  return { ...l, hosts: l.hosts.map((h) => ({ ...h, ramMb })) };
};

describe('nova build path', () => {
  it('boots on the all-in-one host with a port bound there, named instance-00000001', async () => {
    const c = await cloud(allInOne());
    try {
      const vm = await c.boot('cirros-vm1');
      assert.equal(vm.vmState, 'active');
      assert.equal(vm.powerState, 1);
      assert.equal(vm.host, 'localhost');
      const ports = [...c.neutron.ports.values()];
      assert.equal(ports.length, 1);
      assert.deepEqual(
        [ports[0].deviceId, ports[0].deviceOwner, ports[0].bindingHostId],
        [vm.uuid, 'compute:nova', 'localhost'],
      );
      assert.equal(c.agents[0].domains.get(vm.uuid)?.instance.instanceName, 'instance-00000001');
      assert.equal(c.agents[0].domains.get(vm.uuid)?.ports[0].mtu, 1450);
      // Deleting frees the port, the host's memory and the placement allocation; ids are not reused.
      c.nova.lifecycle.delete(ctx(), vm.uuid);
      await new Promise((r) => setTimeout(r, 20));
      await c.bus.idle();
      assert.equal(c.neutron.ports.size, 0);
      assert.equal(c.agents[0].domains.size, 0);
      assert.equal(c.nova.hosts.usage('localhost').memoryMb, 0);
      const vm2 = await c.boot('cirros-vm2');
      assert.equal(c.agents[0].domains.get(vm2.uuid)?.instance.instanceName, 'instance-00000002');
    } finally {
      await c.stop();
    }
  });

  it('--host-ram 6G: the second m1.tiny fails on physical memory with the seed fault and log line', async () => {
    const c = await cloud(allInOneWithRam(6144));
    try {
      const vm1 = await c.boot('cirros-vm1');
      assert.equal(vm1.vmState, 'active');
      const vm2 = await c.boot('cirros-vm2');
      assert.equal(vm2.vmState, 'error');
      assert.equal(vm2.powerState, 0);
      assert.equal(vm2.host, null);
      const fault = vm2.fault as { code: number; message: string };
      assert.equal(fault.code, 500);
      assert.equal(
        fault.message,
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${vm2.uuid}.`,
      );
      assert.equal(c.neutron.ports.size, 1, 'the failed build left no port behind');
      assert.equal(c.nova.hosts.usage('localhost').instances, 1, 'nor a placement allocation');
      const log = await c.log('localhost/nova-compute.log');
      assert.match(
        log,
        new RegExp(
          `ERROR nova\\.compute\\.manager \\[req-[^\\]]+\\] \\[instance: ${vm2.uuid}\\] Instance failed to spawn: libvirt\\.libvirtError: internal error: qemu unexpectedly closed the monitor: \\S+Z qemu-kvm: cannot set up guest memory 'pc\\.ram': Cannot allocate memory`,
        ),
      );
    } finally {
      await c.stop();
    }
  });

  it('reschedules to the next host when the first cannot spawn (max_attempts 3)', async () => {
    // compute1 looks roomier to placement (more RAM) but its services leave too little physically.
    const layout = layoutFromYaml(`
hosts:
  - {name: controller, roles: [controller, network], ip: 192.168.136.10}
  - {name: compute1, roles: [compute], ip: 192.168.136.11, ram: 4G, services_ram: 3584M}
  - {name: compute2, roles: [compute], ip: 192.168.136.12, ram: 2G, services_ram: 1G}
`);
    const c = await cloud(layout);
    try {
      const vm = await c.boot('vm');
      assert.equal(vm.vmState, 'active');
      assert.equal(vm.host, 'compute2');
      assert.equal([...c.neutron.ports.values()][0].bindingHostId, 'compute2');
      assert.equal(c.neutron.ports.size, 1);
      assert.match(await c.log('compute1/nova-compute.log'), /cannot set up guest memory 'pc\.ram'/);
      assert.match(await c.log('nova-conductor.log'), /Error from last host: compute1 \(node compute1\)/);
    } finally {
      await c.stop();
    }
  });

  it('NoValidHost when no host can hold the flavor, with nothing created in Neutron', async () => {
    const c = await cloud(allInOne());
    try {
      const admin = ctx('p1', true);
      c.nova.flavors.create(admin, { name: 'huge', ram: 32768, vcpus: 1, disk: 1 });
      const id = c.nova.flavors.list(admin).find((f) => f.name === 'huge')?.id as string;
      const vm = await c.boot('big', ctx(), id);
      assert.equal(vm.vmState, 'error');
      assert.equal((vm.fault as { message: string }).message, 'No valid host was found. ');
      assert.equal(c.neutron.ports.size, 0);
      assert.match(await c.log('nova-scheduler.log'), /Got no allocation candidates from the Placement API/);
    } finally {
      await c.stop();
    }
  });

  it('placement over-commits RAM by 1.5 after the 512 MB reservation', async () => {
    const c = await cloud(allInOneWithRam(6144));
    try {
      const node = c.nova.hosts.nodes[0];
      assert.equal(
        c.nova.scheduler.fits(node, { vcpus: 1, memoryMb: 8448, diskGb: 1 }),
        false,
        'max_unit = total',
      );
      assert.equal(c.nova.scheduler.fits(node, { vcpus: 1, memoryMb: 6144, diskGb: 1 }), true);
      assert.equal(
        c.nova.scheduler.fits(node, { vcpus: 129, memoryMb: 512, diskGb: 1 }),
        false,
        '8 × 16 vCPUs',
      );
    } finally {
      await c.stop();
    }
  });

  it('refuses the 11th instance of a project with the quota 403, and hides servers of other projects', async () => {
    const c = await cloud(allInOne());
    try {
      const { instances } = await c.nova.servers.create(ctx(), {
        name: 'many',
        imageRef: 'img-1',
        flavorRef: '1',
        networks: 'none',
        minCount: 10,
      });
      assert.deepEqual(instances.map((i) => i.displayName).slice(0, 2), ['many-1', 'many-2']);
      await assert.rejects(
        c.nova.servers.create(ctx(), {
          name: 'one-more',
          imageRef: 'img-1',
          flavorRef: '1',
          networks: 'none',
        }),
        (e) =>
          isServiceError(e) &&
          e.status === 403 &&
          e.message === 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances',
      );
      await c.nova.idle();
      assert.equal(c.nova.servers.list(ctx('p2')).length, 0);
      assert.throws(
        () => c.nova.servers.get(ctx('p2'), instances[0].uuid),
        (e) => isServiceError(e) && e.status === 404,
      );
    } finally {
      await c.stop();
    }
  });

  it('stops, starts and reboots through the host, refusing wrong states with 409', async () => {
    const c = await cloud(allInOne());
    try {
      const vm = await c.boot('vm');
      c.nova.lifecycle.action(ctx(), vm.uuid, 'stop');
      assert.throws(
        () => c.nova.lifecycle.action(ctx(), vm.uuid, 'start'),
        (e) => isServiceError(e) && e.status === 409,
      );
      await c.bus.idle();
      await new Promise((r) => setTimeout(r, 5));
      let now = c.nova.servers.get(ctx(), vm.uuid);
      assert.deepEqual([now.vmState, now.powerState, now.taskState], ['stopped', 4, null]);
      assert.throws(
        () => c.nova.lifecycle.action(ctx(), vm.uuid, 'stop'),
        (e) =>
          isServiceError(e) &&
          e.message === `Cannot 'stop' instance ${vm.uuid} while it is in vm_state stopped`,
      );
      c.nova.lifecycle.action(ctx(), vm.uuid, 'start');
      await c.bus.idle();
      await new Promise((r) => setTimeout(r, 5));
      now = c.nova.servers.get(ctx(), vm.uuid);
      assert.deepEqual([now.vmState, now.powerState], ['active', 1]);
      const out = await c.nova.lifecycle.consoleOutput(ctx(), vm.uuid, 2);
      assert.equal(out.trim().split('\n').length, 2);
      assert.match(out, /domain instance-00000001 started/);
    } finally {
      await c.stop();
    }
  });

  it('a restarted nova-compute adopts the instances the conductor says live on its host', async () => {
    const c = await cloud(allInOne());
    try {
      const vm = await c.boot('vm');
      const stopped = await c.boot('off');
      c.nova.lifecycle.action(ctx(), stopped.uuid, 'stop');
      await c.bus.idle();
      await new Promise((r) => setTimeout(r, 5));
      await c.restartAgents();
      const agent = c.agents[0];
      assert.equal(agent.domains.get(vm.uuid)?.powerState, 1);
      assert.equal(agent.domains.get(stopped.uuid)?.powerState, 4);
      assert.equal(agent.domains.get(vm.uuid)?.ports[0].macAddress.slice(0, 8), 'fa:16:3e');
      assert.equal(agent.driver.memory().usedMb, 5120 + 512 + 64, 'only the running guest holds memory');
    } finally {
      await c.stop();
    }
  });

  it('waits for network-vif-plugged when told to, and aborts the build without it', async () => {
    const c = await cloud(allInOne(), { vifPluggingTimeoutMs: 200 });
    try {
      const lost = await c.boot('no-event');
      assert.equal(lost.vmState, 'error');
      assert.equal(
        (lost.fault as { message: string }).message,
        `Build of instance ${lost.uuid} aborted: Failed to allocate the network(s), not rescheduling.`,
      );
      assert.equal(c.neutron.ports.size, 0);
      assert.match(
        await c.log('localhost/nova-compute.log'),
        /Timeout waiting for \[\('network-vif-plugged', 'port-/,
      );
      // Neutron says the VIF is up (as its agents will once they wire the port): the build completes.
      c.neutron.created.push((p) =>
        setTimeout(
          () =>
            c.nova.lifecycle.externalEvent(ctx('p1', true), {
              name: 'network-vif-plugged',
              serverUuid: p.deviceId,
              tag: p.id,
              status: 'completed',
            }),
          20,
        ),
      );
      const ok = await c.boot('with-event');
      assert.equal(ok.vmState, 'active');
      // A restarted nova-compute holds the running guest paused for its port's event; none comes
      // (no agent rewires it here): the guest is powered off and the instance goes to ERROR.
      await c.restartAgents();
      await new Promise((r) => setTimeout(r, 300));
      await c.bus.idle();
      const after = c.nova.servers.get(ctx(), ok.uuid);
      assert.equal(after.vmState, 'error');
      assert.equal(after.powerState, 4);
      assert.match(await c.log('localhost/nova-compute.log'), /Failed to resume instance/);
    } finally {
      await c.stop();
    }
  });

  it('spreads servers over the compute hosts of a multinode layout (RAM weigher)', async () => {
    const c = await cloud(multiNode(2));
    try {
      const hosts = [];
      for (const n of ['a', 'b', 'c', 'd']) hosts.push((await c.boot(n)).host);
      assert.deepEqual(hosts, ['compute1', 'compute2', 'compute1', 'compute2']);
      assert.deepEqual(
        c.nova.hosts.nodes.map((n) => [n.host.name, c.nova.hosts.usage(n.host.name).instances]),
        [
          ['compute1', 2],
          ['compute2', 2],
        ],
      );
    } finally {
      await c.stop();
    }
  });

  it('pauses (memory held) and suspends (memory given back) through the host', async () => {
    const c = await cloud(allInOne());
    try {
      const vm = await c.boot('vm');
      const settle = async () => {
        await c.bus.idle();
        await new Promise((r) => setTimeout(r, 5));
        return c.nova.servers.get(ctx(), vm.uuid);
      };
      const used = () => c.agents[0].driver.memory().usedMb;
      c.nova.lifecycle.action(ctx(), vm.uuid, 'pause');
      let now = await settle();
      assert.deepEqual([now.vmState, now.powerState], ['paused', 3]);
      assert.equal(used(), 5120 + 576);
      assert.throws(
        () => c.nova.lifecycle.action(ctx(), vm.uuid, 'suspend'),
        (e) =>
          isServiceError(e) &&
          e.message === `Cannot 'suspend' instance ${vm.uuid} while it is in vm_state paused`,
      );
      c.nova.lifecycle.action(ctx(), vm.uuid, 'unpause');
      now = await settle();
      assert.deepEqual([now.vmState, now.powerState], ['active', 1]);
      c.nova.lifecycle.action(ctx(), vm.uuid, 'suspend');
      now = await settle();
      assert.deepEqual([now.vmState, now.powerState], ['suspended', 4]);
      assert.equal(used(), 5120);
      c.nova.lifecycle.action(ctx(), vm.uuid, 'resume');
      now = await settle();
      assert.deepEqual([now.vmState, now.powerState], ['active', 1]);
      assert.deepEqual(
        c.nova.actions.list(vm.uuid).map((a) => a.action),
        ['resume', 'suspend', 'unpause', 'pause', 'create'],
      );
    } finally {
      await c.stop();
    }
  });

  it('reschedules a port binding failure (PortBindingFailed) and fails when no host can bind', async () => {
    const c = await cloud(multiNode(2));
    try {
      c.neutron.unbindable.add('compute1');
      const vm = await c.boot('vm');
      assert.equal(vm.vmState, 'active');
      assert.equal(vm.host, 'compute2');
      assert.equal(c.neutron.ports.size, 1);
      c.neutron.unbindable.add('compute2');
      const lost = await c.boot('lost');
      assert.equal(lost.vmState, 'error');
      assert.match((lost.fault as { message: string }).message, /^Exceeded maximum number of retries/);
      assert.equal(c.neutron.ports.size, 1, 'the failed bindings left no port');
      assert.match(
        await c.log('nova-conductor.log'),
        /re-scheduled: Binding failed for port port-\S+, please check neutron logs/,
      );
    } finally {
      await c.stop();
    }
  });

  it('a disabled nova-compute is filtered out: NoValidHost, not enough hosts', async () => {
    const c = await cloud(allInOne());
    try {
      const svc = c.nova.hosts.service('localhost', 'nova-compute');
      assert.ok(svc);
      c.nova.hosts.setService(svc, { disabled: true, disabledReason: 'maintenance' });
      const vm = await c.boot('vm');
      assert.equal(vm.vmState, 'error');
      assert.equal(
        (vm.fault as { message: string }).message,
        'No valid host was found. There are not enough hosts available.',
      );
      c.nova.hosts.setService(svc, { disabled: false });
      assert.equal((await c.boot('vm2')).vmState, 'active');
    } finally {
      await c.stop();
    }
  });
});
