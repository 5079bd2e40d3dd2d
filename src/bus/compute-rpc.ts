// The compute catalogue: what the conductor asks of a host's nova-compute (nova/compute/rpcapi.py,
// one topic per host, `build_and_run_instance.<host>` …) and what the hosts report back
// (heartbeats as nova-compute's service report_state writes them, power-state changes).
// Everything here is plain data: the agent on a host sees an instance only through these.

/** The flavor as the instance carries it (Nova copies the flavor into the instance at boot). */
export interface ComputeFlavor {
  id: string;
  name: string;
  ramMb: number;
  vcpus: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  extraSpecs: Record<string, string>;
}

/** The image the instance boots from (what Glance told the API; the bytes stay in Glance). */
export interface ComputeImage {
  id: string;
  name: string;
  diskFormat: string | null;
  containerFormat: string | null;
  size: number | null;
  properties: Record<string, string>;
}

/** A Neutron port bound to the host, with what VIF plugging and the guest need. */
export interface ComputePort {
  id: string;
  macAddress: string;
  networkId: string;
  networkName: string;
  /** The network's MTU (1450 on VXLAN under packstack's path_mtu = 0). */
  mtu: number;
  networkType: string;
  segmentationId: number | null;
  physicalNetwork: string | null;
  fixedIps: { subnetId: string; ipAddress: string; cidr: string | null; gatewayIp: string | null }[];
  securityGroupIds: string[];
  /** os-vif's device name suffix source: `tap` + the first 11 characters of the port id. */
  deviceName: string;
}

/** One instance as nova-compute builds it. */
export interface ComputeInstance {
  uuid: string;
  /** libvirt's domain name, `instance-0000000N`. */
  instanceName: string;
  displayName: string;
  hostname: string;
  projectId: string;
  userId: string;
  flavor: ComputeFlavor;
  image: ComputeImage | null;
  keyName: string | null;
  keyData: string | null;
  userData: string | null;
  metadata: Record<string, string>;
  availabilityZone: string;
}

export interface BuildRequest {
  requestId: string;
  instance: ComputeInstance;
  ports: ComputePort[];
  /** 1 for the first host tried, 2 and 3 for reschedules (`[scheduler] max_attempts` = 3). */
  attempt: number;
}

export type BuildResult =
  | { outcome: 'active'; powerState: number; launchedAt: string }
  /** The host could not spawn it: the conductor reschedules to an alternate or fails the build. */
  | { outcome: 'reschedule'; reason: string; exceptionClass: string }
  /** Not worth another host (BuildAbortException): the build fails with this reason. */
  | { outcome: 'abort'; reason: string };

export interface InstanceRef {
  requestId: string;
  uuid: string;
}

/** What a host reports about itself every report_interval (10 s), and once at start. */
export interface ComputeServiceReport {
  host: string;
  binary: 'nova-compute';
  /** ISO time of the report. */
  at: string;
  /** Physical memory the host uses (services + guests + qemu overhead), for `free -m` and stats. */
  memoryMbUsed: number;
  memoryMbTotal: number;
  runningVms: number;
}

export interface InstancePowerEvent {
  host: string;
  uuid: string;
  powerState: number;
}

/** nova-compute put an instance in ERROR (_set_instance_obj_error_state: a guest it could not resume). */
export interface InstanceErrorEvent {
  host: string;
  uuid: string;
}

/** A port's VIF became active on a host (Neutron's network-vif-plugged, via the agents). */
export interface VifPluggedEvent {
  host: string;
  uuid: string;
  portId: string;
}

declare module './bus.js' {
  interface BusCalls {
    build_and_run_instance: { request: BuildRequest; response: BuildResult };
    terminate_instance: { request: InstanceRef; response: { ok: true } };
    stop_instance: { request: InstanceRef; response: { powerState: number } };
    pause_instance: { request: InstanceRef; response: { powerState: number } };
    unpause_instance: { request: InstanceRef; response: { powerState: number } };
    suspend_instance: { request: InstanceRef; response: { powerState: number } };
    resume_instance: { request: InstanceRef; response: { powerState: number } };
    start_instance: { request: InstanceRef; response: { powerState: number } };
    reboot_instance: {
      request: InstanceRef & { type: 'SOFT' | 'HARD' };
      response: { powerState: number };
    };
    get_console_output: { request: InstanceRef & { length: number | null }; response: { output: string } };
    /**
     * Served by Nova (the conductor): the instances a host should run, with their ports, so an
     * agent that starts (or restarts) reconciles its host to them.
     */
    get_host_instances: {
      request: { host: string };
      response: { instances: { request: BuildRequest; powerState: number }[] };
    };
  }
  interface BusEvents {
    'compute.report_state': ComputeServiceReport;
    'compute.instance_power_state': InstancePowerEvent;
    'compute.vif_plugged': VifPluggedEvent;
    'compute.instance_error': InstanceErrorEvent;
  }
}
