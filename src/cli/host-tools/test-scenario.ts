// The fixed scenario the host-tool tests (and golden files) look at: a two-host cloud (controller
// as network node, compute1) wired by hand as Nova and Neutron's agents wire it, on a fixed seed
// and clock so MACs, ids and timestamps are stable.
//   compute1: VM port 6f8a1c2d-3e… → tap (fe:16:3e:2b:7c:11) → qbr (ageing 0) → qvb/qvo → br-int
//             tag 1 → br-tun → VXLAN VNI 1001 to the controller; the guest is 10.0.0.5.
//   controller: qrouter-5c1d2e3f-… with qr-4e5f6a7b-8c 10.0.0.1/24 (br-int tag 1) and
//             qg-9a8b7c6d-5e 172.24.4.111/24, default via 172.24.4.1, the l3 agent's nat rules.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../kernel/host.js';
import { iptablesRestore } from '../../kernel/netfilter/restore.js';
import { attachNamespaceAsGuest } from '../../kernel/tap-guest.js';
import { buildNeutronBridges } from '../../ovs/neutron-bridges.js';
import { multiNode } from '../../sim/layout.js';
import { ip } from '../../wire/ipv4-address.js';
import { mac } from '../../wire/mac.js';
import { World } from '../../world/world.js';
import { hostExec } from './index.js';

export const EPOCH_MS = Date.UTC(2026, 10, 26, 8, 0, 0);
export const PORT = '6f8a1c2d-3e';
export const ROUTER_NS = 'qrouter-5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

const NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-float-snat - [0:0]
:neutron-l3-agent-snat - [0:0]
:neutron-postrouting-bottom - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A POSTROUTING -j neutron-postrouting-bottom
-A neutron-l3-agent-POSTROUTING ! -o qg-9a8b7c6d-5e -m conntrack ! --ctstate DNAT -j ACCEPT
-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
-A neutron-l3-agent-snat -o qg-9a8b7c6d-5e -j SNAT --to-source 172.24.4.111 --random-fully
-A neutron-postrouting-bottom -m comment --comment "Perform source NAT on outgoing traffic." -j neutron-l3-agent-snat
COMMIT
`;

export function scenario() {
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-hosttools-'));
  const world = new World(multiNode(1), { seed: 7, pacing: 'manual', epochMs: EPOCH_MS, dataDir });
  const ctl = world.host('controller')!;
  const cmp = world.host('compute1')!;
  const net = [{ lvid: 1, vni: 1001 }];
  const nbCtl = buildNeutronBridges(ctl.vswitchd, {
    localIp: ctl.spec.underlayIp,
    peers: [cmp.spec.underlayIp],
    networks: net,
  });
  const nbCmp = buildNeutronBridges(cmp.vswitchd, {
    localIp: cmp.spec.underlayIp,
    peers: [ctl.spec.underlayIp],
    networks: net,
  });

  // compute1: the VM's hybrid plug
  const h = cmp.kernel;
  const tap = h.addTap(`tap${PORT}`, { mtu: 1450, mac: mac('fe:16:3e:2b:7c:11') });
  const qbr = h.addBridge(`qbr${PORT}`, { ageing: 0 });
  qbr.ipv6Disabled = true;
  const [qvb, qvo] = h.addVeth(`qvb${PORT}`, `qvo${PORT}`, { mtu: 1450 });
  for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
  qvb.setPromisc(true);
  qvo.setPromisc(true);
  qbr.addPort(qvb);
  qbr.addPort(tap);
  nbCmp.plugPort({
    name: `qvo${PORT}`,
    lvid: 1,
    mac: 'fa:16:3e:2b:7c:11',
    ips: ['10.0.0.5'],
    ifaceId: '6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d',
    vmUuid: '0e3c1f9a-5b7d-4c2e-8f1a-2b3c4d5e6f70',
  });
  const guest = new Host('cirros-vm1', world.sched);
  const eth0 = attachNamespaceAsGuest(tap, guest.root, mac('fa:16:3e:2b:7c:11'), 1450);
  guest.root.addAddress(eth0, '10.0.0.5/24');
  guest.root.addRoute({ dst: 'default', via: ip('10.0.0.1'), dev: eth0 });

  // controller: the router
  const router = ctl.kernel.addNamespace(ROUTER_NS);
  router.setSysctl('net.ipv4.ip_forward', '1');
  for (const [name, lvid, cidr, m] of [
    ['qr-4e5f6a7b-8c', 1, '10.0.0.1/24', 'fa:16:3e:aa:bb:01'],
    ['qg-9a8b7c6d-5e', 2, '172.24.4.111/24', 'fa:16:3e:cc:dd:02'],
  ] as const) {
    nbCtl.plugPort({ name, lvid, type: 'internal' });
    const dev = ctl.kernel.device(name)!;
    dev.setMac(mac(m));
    if (lvid === 1) dev.setMtu(1450);
    dev.moveTo(router);
    router.addAddress(dev, cidr);
    dev.setUp(true);
  }
  router.addRoute({
    dst: 'default',
    via: ip('172.24.4.1'),
    dev: router.devices.get('qg-9a8b7c6d-5e')!,
    proto: 'static',
  });
  iptablesRestore(router.iptables(), NAT);
  return { world, ctl, cmp, guest, tap, qbr, qvb, qvo, router, dataDir };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Running {
  readonly settled: boolean;
  /** Ctrl-C. */
  interrupt(): void;
  result: Promise<Run>;
}

/** Starts a host command without waiting for it (a capture that runs while something else happens). */
export function start(
  world: World,
  host: string,
  argv: string[] | string,
  opts: { tty?: boolean; stdin?: string } = {},
): Running {
  let stdout = '';
  let stderr = '';
  const abort = new AbortController();
  let settled = false;
  const result = hostExec(world, host, typeof argv === 'string' ? [argv] : argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    tty: opts.tty ?? false,
    signal: abort.signal,
    readStdin: async () => opts.stdin ?? '',
  }).then((code) => {
    settled = true;
    return { code, stdout, stderr };
  });
  return {
    get settled() {
      return settled;
    },
    interrupt: () => abort.abort(),
    result,
  };
}

/** Runs virtual time forward by `ns` in 100 ms steps, letting commands' promises settle between steps. */
export async function advance(world: World, ns: number, until?: () => boolean): Promise<void> {
  await new Promise((r) => setImmediate(r));
  for (let t = 0; t < ns && !(until?.() ?? false); t += 1e8) {
    world.sched.runFor(1e8);
    await new Promise((r) => setImmediate(r));
  }
}

/** Runs a command to its end: virtual time advances (at most `advanceNs`, default 20 s), then Ctrl-C. */
export async function run(
  world: World,
  host: string,
  argv: string[] | string,
  opts: { advanceNs?: number; tty?: boolean; stdin?: string } = {},
): Promise<Run> {
  const r = start(world, host, argv, opts);
  await advance(world, opts.advanceNs ?? 20e9, () => r.settled);
  if (!r.settled) r.interrupt();
  return r.result;
}
