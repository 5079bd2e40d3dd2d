// The domain XML Nova's libvirt driver writes (nova/virt/libvirt/config.py, driver.py
// _get_guest_config) for a KVM guest with hybrid-plugged VIFs, as `virsh dumpxml` prints it back:
// libvirt's normalised element order, single quotes, two spaces per level; a running domain adds
// its `id`, device aliases, PCI addresses and the serial pty. Nova's metadata block is in the
// nova namespace (double quotes there: Nova writes it, libvirt keeps it verbatim).
import type { ComputeInstance, ComputePort } from '../../bus/index.js';
import type { DomainDefinition, DomainInterface } from './libvirt.js';
import { vifNames } from './vif-plug.js';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

const pci = (slot: number) =>
  `<address type='pci' domain='0x0000' bus='0x00' slot='0x${slot.toString(16).padStart(2, '0')}' function='0x0'/>`;

/** Nova's creationTime: `YYYY-MM-DD HH:MM:SS` (UTC). */
const novaTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export interface DomainXmlInput {
  instance: ComputeInstance;
  ports: ComputePort[];
  createdAt: Date;
  /** The RDO package version Nova stamps (nova-compute's). */
  novaVersion: string;
}

export function domainDefinition(o: DomainXmlInput): DomainDefinition {
  const i = o.instance;
  const memoryKiB = i.flavor.ramMb * 1024;
  const interfaces: DomainInterface[] = o.ports.map((p) => {
    const n = vifNames(p.id);
    return { tap: n.tap, bridge: n.qbr, mac: p.macAddress, mtu: p.mtu, model: 'virtio' };
  });
  const dir = `/var/lib/nova/instances/${i.uuid}`;
  const f = i.flavor;
  const metadata = [
    '  <metadata>',
    '    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">',
    `      <nova:package version="${esc(o.novaVersion)}"/>`,
    `      <nova:name>${esc(i.displayName)}</nova:name>`,
    `      <nova:creationTime>${novaTime(o.createdAt)}</nova:creationTime>`,
    `      <nova:flavor name="${esc(f.name)}">`,
    `        <nova:memory>${f.ramMb}</nova:memory>`,
    `        <nova:disk>${f.rootGb}</nova:disk>`,
    `        <nova:swap>${f.swapMb}</nova:swap>`,
    `        <nova:ephemeral>${f.ephemeralGb}</nova:ephemeral>`,
    `        <nova:vcpus>${f.vcpus}</nova:vcpus>`,
    '      </nova:flavor>',
    '      <nova:owner>',
    `        <nova:user uuid="${i.userId}">${esc(i.userId)}</nova:user>`,
    `        <nova:project uuid="${i.projectId}">${esc(i.projectId)}</nova:project>`,
    '      </nova:owner>',
    ...(i.image ? [`      <nova:root type="image" uuid="${i.image.id}"/>`] : []),
    '      <nova:ports>',
    ...o.ports.flatMap((p) => [
      `        <nova:port uuid="${p.id}">`,
      ...p.fixedIps.map(
        (ip) =>
          `          <nova:ip type="fixed" address="${ip.ipAddress}" ipVersion="${ip.ipAddress.includes(':') ? 6 : 4}"/>`,
      ),
      '        </nova:port>',
    ]),
    '      </nova:ports>',
    '    </nova:instance>',
    '  </metadata>',
  ];
  return {
    name: i.instanceName,
    uuid: i.uuid,
    memoryKiB,
    vcpus: f.vcpus,
    interfaces,
    xml({ id, pty }) {
      const live = id !== null;
      const alias = (name: string) => (live ? [`<alias name='${name}'/>`] : []);
      const addr = (slot: number) => (live ? [pci(slot)] : []);
      const dev = (indent: number, lines: string[]) => lines.map((l) => `${' '.repeat(indent)}${l}`);
      // PCI slots in the order libvirt assigns them on i440fx: NICs from 0x03, then the disk
      const diskSlot = 3 + interfaces.length;
      const nics = interfaces.flatMap((n, k) => [
        "    <interface type='bridge'>",
        ...dev(6, [
          `<mac address='${n.mac}'/>`,
          `<source bridge='${n.bridge}'/>`,
          `<target dev='${n.tap}'/>`,
          `<model type='${n.model}'/>`,
          `<mtu size='${n.mtu}'/>`,
          ...alias(`net${k}`),
          ...addr(3 + k),
        ]),
        '    </interface>',
      ]);
      return `${[
        live ? `<domain type='kvm' id='${id}'>` : "<domain type='kvm'>",
        `  <name>${i.instanceName}</name>`,
        `  <uuid>${i.uuid}</uuid>`,
        ...metadata,
        `  <memory unit='KiB'>${memoryKiB}</memory>`,
        `  <currentMemory unit='KiB'>${memoryKiB}</currentMemory>`,
        `  <vcpu placement='static'>${f.vcpus}</vcpu>`,
        '  <cputune>',
        `    <shares>${f.vcpus * 1024}</shares>`,
        '  </cputune>',
        '  <resource>',
        '    <partition>/machine</partition>',
        '  </resource>',
        "  <sysinfo type='smbios'>",
        '    <system>',
        "      <entry name='manufacturer'>RDO</entry>",
        "      <entry name='product'>OpenStack Compute</entry>",
        `      <entry name='version'>${esc(o.novaVersion)}</entry>`,
        `      <entry name='serial'>${i.uuid}</entry>`,
        `      <entry name='uuid'>${i.uuid}</entry>`,
        "      <entry name='family'>Virtual Machine</entry>",
        '    </system>',
        '  </sysinfo>',
        '  <os>',
        "    <type arch='x86_64' machine='pc-i440fx-rhel7.6.0'>hvm</type>",
        "    <boot dev='hd'/>",
        "    <smbios mode='sysinfo'/>",
        '  </os>',
        '  <features>',
        '    <acpi/>',
        '    <apic/>',
        '  </features>',
        "  <cpu mode='host-model' check='partial'/>",
        "  <clock offset='utc'>",
        "    <timer name='pit' tickpolicy='delay'/>",
        "    <timer name='rtc' tickpolicy='catchup'/>",
        "    <timer name='hpet' present='no'/>",
        '  </clock>',
        '  <on_poweroff>destroy</on_poweroff>',
        '  <on_reboot>restart</on_reboot>',
        '  <on_crash>destroy</on_crash>',
        '  <devices>',
        '    <emulator>/usr/libexec/qemu-kvm</emulator>',
        "    <disk type='file' device='disk'>",
        ...dev(6, [
          "<driver name='qemu' type='qcow2' cache='none'/>",
          `<source file='${dir}/disk'${live ? " index='1'" : ''}/>`,
          "<target dev='vda' bus='virtio'/>",
          ...alias('virtio-disk0'),
          ...addr(diskSlot),
        ]),
        '    </disk>',
        ...nics,
        "    <serial type='pty'>",
        ...dev(6, [
          ...(pty ? [`<source path='${pty}'/>`] : []),
          `<log file='${dir}/console.log' append='off'/>`,
          "<target type='isa-serial' port='0'>",
          "  <model name='isa-serial'/>",
          '</target>',
          ...alias('serial0'),
        ]),
        '    </serial>',
        `    <console type='pty'${pty ? ` tty='${pty}'` : ''}>`,
        ...dev(6, [
          ...(pty ? [`<source path='${pty}'/>`] : []),
          `<log file='${dir}/console.log' append='off'/>`,
          "<target type='serial' port='0'/>",
          ...alias('serial0'),
        ]),
        '    </console>',
        `    <graphics type='vnc' port='${live ? 5900 + (id ?? 0) - 1 : -1}' autoport='yes' listen='0.0.0.0'>`,
        "      <listen type='address' address='0.0.0.0'/>",
        '    </graphics>',
        '    <video>',
        "      <model type='virtio' heads='1' primary='yes'/>",
        ...dev(6, [...alias('video0'), ...addr(2)]),
        '    </video>',
        "    <memballoon model='virtio'>",
        "      <stats period='10'/>",
        ...dev(6, [...alias('balloon0'), ...addr(diskSlot + 1)]),
        '    </memballoon>',
        '  </devices>',
        '</domain>',
      ].join('\n')}\n`;
    },
  };
}
