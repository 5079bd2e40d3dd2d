// The iptables of a legacy router's namespace as Neutron Zed's L3 agent leaves them after
// processing a router (l3/router_info.py, linux/iptables_manager.py with binary name
// `neutron-l3-agent`, metadata/driver.py): every table's wrapped chains, the metadata
// redirect and marks, the address-scope marks (one default scope: mark 0x4000000/0xffff0000),
// SNAT to the gateway IP and DNAT/SNAT per floating IP. Applied with iptables-restore, keeping the
// packet counters of rules that stay (IptablesManager saves with -c and restores with -c).
import { iptablesRestore, iptablesSave, type Netfilter } from '../../kernel/netfilter/index.js';

const W = 'neutron-l3-agent';
const ROUTER_MARK_MASK = '0xffff';
const SCOPE_MARK = '0x4000000/0xffff0000';
const METADATA_PORT = 9697;

export interface RouterRules {
  /** qr- device names, in the router's interface order. */
  internalDevices: string[];
  /** The qg- device and the gateway's IPv4 address, when the router has a gateway. */
  gateway: { device: string; ip: string } | null;
  enableSnat: boolean;
  /** Floating IPs in processing order. */
  floatingIps: { floating: string; fixed: string }[];
  /** iptables >= 1.6.2 (`use_random_fully`, default true). */
  randomFully?: boolean;
  metadataAccessMark?: string;
  externalIngressMark?: string;
}

interface TableSpec {
  builtins: string[];
  /** Wrapped (`neutron-l3-agent-X`) and unwrapped user chains. */
  chains: string[];
  rules: [string, string][];
}

const BUILTINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

function table(name: string, wrapped: string[], extra: string[] = []): TableSpec {
  return { builtins: BUILTINS[name], chains: [...wrapped.map((c) => `${W}-${c}`), ...extra], rules: [] };
}

/** The four tables' chains and rules for one router, in the order the agent adds them. */
export function routerTables(r: RouterRules): Record<'raw' | 'mangle' | 'nat' | 'filter', TableSpec> {
  const rf = r.randomFully === false ? '' : ' --random-fully';
  const mdMark = r.metadataAccessMark ?? '0x1';
  const extMark = r.externalIngressMark ?? '0x2';
  const w = (c: string) => `${W}-${c}`;

  const raw = table('raw', ['PREROUTING', 'OUTPUT']);
  raw.rules.push(['PREROUTING', `-j ${w('PREROUTING')}`], ['OUTPUT', `-j ${w('OUTPUT')}`]);

  const filter = table('filter', ['INPUT', 'OUTPUT', 'FORWARD', 'local', 'scope'], ['neutron-filter-top']);
  filter.rules.push(
    ['INPUT', `-j ${w('INPUT')}`],
    ['FORWARD', '-j neutron-filter-top'],
    ['FORWARD', `-j ${w('FORWARD')}`],
    ['OUTPUT', '-j neutron-filter-top'],
    ['OUTPUT', `-j ${w('OUTPUT')}`],
    ['neutron-filter-top', `-j ${w('local')}`],
    [w('FORWARD'), `-j ${w('scope')}`],
    // metadata driver: only the redirected (marked) requests reach the proxy port
    [w('INPUT'), `-m mark --mark ${mdMark}/${ROUTER_MARK_MASK} -j ACCEPT`],
    [w('INPUT'), `-p tcp -m tcp --dport ${METADATA_PORT} -j DROP`],
  );
  // _add_address_scope_mark empties `scope` (dropping the metadata rule initialize_metadata_iptables
  // put there) and blocks traffic leaving a port of another scope; the gateway is exempt with SNAT.
  for (const dev of r.internalDevices)
    filter.rules.push([w('scope'), `-o ${dev} -m mark ! --mark ${SCOPE_MARK} -j DROP`]);
  if (r.gateway && !r.enableSnat)
    filter.rules.push([w('scope'), `-o ${r.gateway.device} -m mark ! --mark ${SCOPE_MARK} -j DROP`]);

  const mangle = table('mangle', [
    'PREROUTING',
    'INPUT',
    'FORWARD',
    'OUTPUT',
    'POSTROUTING',
    'mark',
    'scope',
    'floatingip',
    'float-snat',
  ]);
  for (const c of BUILTINS.mangle) mangle.rules.push([c, `-j ${w(c)}`]);
  mangle.rules.push(
    [w('PREROUTING'), `-j ${w('mark')}`],
    [w('PREROUTING'), `-j ${w('scope')}`],
    [
      w('PREROUTING'),
      '-m connmark ! --mark 0x0/0xffff0000 -j CONNMARK --restore-mark --nfmask 0xffff0000 --ctmask 0xffff0000',
    ],
    [w('PREROUTING'), `-j ${w('floatingip')}`],
    [
      w('PREROUTING'),
      `-d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j MARK --set-xmark ${mdMark}/${ROUTER_MARK_MASK}`,
    ],
    [
      w('float-snat'),
      '-m connmark --mark 0x0/0xffff0000 -j CONNMARK --save-mark --nfmask 0xffff0000 --ctmask 0xffff0000',
    ],
  );
  const nat = table(
    'nat',
    ['PREROUTING', 'OUTPUT', 'POSTROUTING', 'snat', 'float-snat'],
    ['neutron-postrouting-bottom'],
  );
  nat.rules.push(
    ['PREROUTING', `-j ${w('PREROUTING')}`],
    ['OUTPUT', `-j ${w('OUTPUT')}`],
    ['POSTROUTING', `-j ${w('POSTROUTING')}`],
    ['POSTROUTING', '-j neutron-postrouting-bottom'],
    [
      'neutron-postrouting-bottom',
      `-m comment --comment "Perform source NAT on outgoing traffic." -j ${w('snat')}`,
    ],
    [
      w('PREROUTING'),
      `-d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports ${METADATA_PORT}`,
    ],
    [w('snat'), `-j ${w('float-snat')}`],
  );
  const gw = r.gateway;
  if (gw) {
    if (r.enableSnat) {
      mangle.rules.push([
        w('POSTROUTING'),
        `-o ${gw.device} -m connmark --mark 0x0/0xffff0000 -j CONNMARK --save-mark --nfmask 0xffff0000 --ctmask 0xffff0000`,
      ]);
      nat.rules.push([w('snat'), `-o ${gw.device} -j SNAT --to-source ${gw.ip}${rf}`]);
    }
    nat.rules.push(
      [w('POSTROUTING'), `! -o ${gw.device} -m conntrack ! --ctstate DNAT -j ACCEPT`],
      [
        w('snat'),
        `-m mark ! --mark ${extMark}/${ROUTER_MARK_MASK} -m conntrack --ctstate DNAT -j SNAT --to-source ${gw.ip}${rf}`,
      ],
    );
    mangle.rules.push([w('mark'), `-i ${gw.device} -j MARK --set-xmark ${extMark}/${ROUTER_MARK_MASK}`]);
    for (const fip of r.floatingIps) {
      nat.rules.push(
        [w('PREROUTING'), `-d ${fip.floating}/32 -j DNAT --to-destination ${fip.fixed}`],
        [w('OUTPUT'), `-d ${fip.floating}/32 -j DNAT --to-destination ${fip.fixed}`],
        [w('float-snat'), `-s ${fip.fixed}/32 -j SNAT --to-source ${fip.floating}${rf}`],
      );
    }
  }
  for (const dev of [...r.internalDevices, ...(gw ? [gw.device] : [])])
    mangle.rules.push([w('scope'), `-i ${dev} -j MARK --set-xmark ${SCOPE_MARK}`]);
  return { raw, mangle, nat, filter };
}

/** iptables-restore input for all four tables, rule counters taken from `counters` (key: `chain spec`). */
export function restoreText(
  tables: ReturnType<typeof routerTables>,
  counters: Map<string, string[]> = new Map(),
): string {
  const out: string[] = [];
  for (const [name, t] of Object.entries(tables)) {
    out.push(`*${name}`);
    for (const c of t.builtins) out.push(`:${c} ACCEPT ${counters.get(`:${name}:${c}`)?.[0] ?? '[0:0]'}`);
    for (const c of t.chains) out.push(`:${c} - [0:0]`);
    const left = new Map([...counters].map(([k, v]) => [k, [...v]]));
    for (const [chain, spec] of t.rules) {
      const key = `${name} -A ${chain} ${spec}`;
      const c = left.get(key)?.shift() ?? '[0:0]';
      out.push(`${c} -A ${chain} ${spec}`);
    }
    out.push('COMMIT');
  }
  return `${out.join('\n')}\n`;
}

/** The counters of the namespace's current rules, keyed as restoreText looks them up. */
function currentCounters(nf: Netfilter): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let table = '';
  for (const line of iptablesSave(nf, { time: '', counters: true }).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const chain = /^:(\S+) (ACCEPT|DROP) (\[\d+:\d+\])$/.exec(line);
    if (chain) m.set(`:${table}:${chain[1]}`, [chain[3]]);
    const rule = /^(\[\d+:\d+\]) (-A .*)$/.exec(line);
    if (rule) {
      const key = `${table} ${rule[2]}`;
      m.set(key, [...(m.get(key) ?? []), rule[1]]);
    }
  }
  return m;
}

/** Installs the router's tables atomically, rules that stay keep their counters. */
export function applyRouterTables(nf: Netfilter, rules: RouterRules): void {
  const text = restoreText(routerTables(rules), currentCounters(nf));
  const r = iptablesRestore(nf, text, { counters: true });
  if (r.status !== 0) throw new Error(`iptables-restore failed: ${r.stderr.trim()}`);
}
