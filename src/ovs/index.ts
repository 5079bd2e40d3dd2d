// Open vSwitch for one emulated host: the OVSDB model and ovs-vsctl, ovs-vswitchd's bridges
// (OpenFlow tables, NORMAL, learn, patch and VXLAN ports), and ovs-ofctl / ovs-appctl.
export { type Action, formatActions, parseActions } from './actions.js';
export { Datapath, type TunnelIn } from './datapath.js';
export { DpPort, type DpPortKind } from './dp-port.js';
export { type DumpOptions, formatFlowLine } from './flow-format.js';
export { formatMatch, Match } from './flow-match.js';
export { type FlowMod, type FlowModCommand, parseFlow } from './flow-parse.js';
export { Flow, type FlowSelector, FlowTables } from './flow-table.js';
export { MacLearningTable } from './mac-learning.js';
export {
  buildNeutronBridges,
  linkLocalOf,
  type NeutronBridgeOptions,
  NeutronBridges,
  type NeutronPort,
  tunnelPortName,
} from './neutron-bridges.js';
export { applyFlowMod, type DumpFlowsOptions, Ofctl, OfctlError, runAppctl, runOfctl } from './ofctl.js';
export { type Atom, type Datum, Ovsdb, OvsdbError, Row } from './ovsdb.js';
export { OFPP_IN_PORT, OFPP_LOCAL, OFPP_NORMAL, type PortNames } from './ports.js';
export { type CommandResult, runVsctl, show } from './vsctl.js';
export { type PortSpec, VsctlError, VsctlOps } from './vsctl-ops.js';
export { DB_VERSION, OVS_VERSION, Vswitchd, vswitchdOf } from './vswitchd.js';
