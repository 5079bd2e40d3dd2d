// The guest layer: CirrOS-like virtual machines behind the hypervisor's tap devices.
//
// ─── For nova-compute (and anyone creating guests) ────────────────────────────────────────────────
//
//   import { Guest, openConsole } from '../guest/index.js';
//
//   const tap = host.addTap(`tap${portId.slice(0, 11)}`, { mtu: 1450 });   // kernel layer
//   const guest = new Guest({
//     sched,                        // the cloud's Scheduler (virtual time)
//     name: 'cirros-vm1',           // server name; hostname defaults to Nova's sanitised form
//     instanceId: 1,                // Nova's integer id → EC2 id i-00000001
//     uuid: server.id,
//     mac: 'fa:16:3e:2b:7c:11',     // the port's MAC
//     tap,                          // the guest's eth0 sits behind it (carrier comes up on boot)
//     extraNics: [{ mac, tap }],    // eth1 … for more ports (CirrOS configures only eth0 itself)
//     flavor: { ram: 512, vcpus: 1, disk: 1 },
//     image: 'cirros-0.3.4-x86_64', // cirros-0.5.x… boots CirrOS 0.5 texts
//     configDrive: false,           // true = Nova force_config_drive: hostname without metadata
//   });
//   guest.boot();                   // power on: the console log fills on virtual time
//   guest.whenBooted(() => …);      // the login prompt is printed
//   guest.console.text / .tail(n)   // `openstack console log show [--lines n]`
//   guest.exec('ip addr', io, (code) => …)          // `pocketstack vm exec` (root, like a guest agent)
//   await guest.run('ping -c 3 10.0.0.7')            // { code, output } (drive the scheduler meanwhile)
//   const s = openConsole(guest, io); s.input('hostname\r'); s.close();   // `pocketstack vm console`
//   guest.shutdown(done) / guest.destroy() / guest.reboot({ hard })      // power actions
//   guest.state                     // 'running' | 'in shutdown' | 'shut off' (virsh's words)
//
// What boots: reference/guest.md's CirrOS 0.3.4 sequence — kernel lines, init scripts, udhcpc on
// eth0 (lease applied: address, MTU 26, router 3, classless routes 121, DNS 6; or "No lease,
// failing" after 3 DISCOVERs 60 s apart), the metadata attempts (20 failures unless a
// MetadataClient answers or a config drive is given), the status block, the logo, the login prompt.
// The guest's IPv4 stack is the kernel layer's (one namespace per guest); its shell has busybox's
// ping, traceroute, ip, ifconfig, route, arp, udhcpc, hostname, cat, uname, sudo … (applets.ts).

export { registerApplets } from './applets.js';
export { CIRROS_034, CIRROS_052, type CirrosRelease, cirrosRelease, issueText } from './cirros.js';
export { type ConsoleOptions, ConsoleSession, openConsole } from './console.js';
export { ConsoleLog } from './console-log.js';
export {
  type ConfigDrive,
  METADATA_IP,
  type MetadataClient,
  noMetadataService,
} from './datasource.js';
export { type Lease, Udhcpc } from './dhcp-client.js';
export { Guest, type GuestOptions, type PowerState, sanitizeHostname } from './guest.js';
export { type Flavor, GuestOs, type NicSpec } from './os.js';
export { BufferIo, type Io, type Proc, ProcHandle } from './proc.js';
export { APPLETS, type Command, type CommandContext, Shell, type User } from './shell.js';
