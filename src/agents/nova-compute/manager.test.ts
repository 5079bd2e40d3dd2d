// nova-compute's init_host after a restart: a guest that was running comes back created paused
// and runs once Neutron's network-vif-plugged arrives for its ports; without it, when
// vif_plugging_timeout passes, it is powered off and the instance goes to ERROR. An event nobody
// waits for (an agent rewiring a running guest's port) changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type BuildRequest, Bus, type InstanceErrorEvent, type InstancePowerEvent } from '../../bus/index.js';
import { allInOne } from '../../sim/layout.js';
import { LogRegistry } from '../../sim/oslo-log.js';
import { type Adopted, type ComputeDriver, type Domain, POWER_PAUSED, POWER_RUNNING } from './driver.js';
import { NovaCompute } from './manager.js';
import { sampleInstance, samplePort } from './sample-instance.js';

/** A hypervisor that records what nova-compute asks of it. */
class RecordingDriver implements ComputeDriver {
  readonly calls: string[] = [];
  spawn(): void {}
  destroy(): void {}
  powerOff(d: Domain): void {
    this.calls.push(`powerOff ${d.instance.uuid}`);
  }
  powerOn(): void {}
  reboot(): void {}
  pause(): void {}
  unpause(d: Domain): void {
    this.calls.push(`unpause ${d.instance.uuid}`);
  }
  suspend(): void {}
  resume(): void {}
  adopt(d: Domain, running: boolean, opts: { paused?: boolean } = {}): Adopted {
    this.calls.push(`adopt ${d.instance.uuid} running=${running} paused=${opts.paused === true}`);
    return { powerState: opts.paused ? POWER_PAUSED : POWER_RUNNING, started: running };
  }
  consoleLog(): string[] {
    return [];
  }
  memory() {
    return { usedMb: 0, totalMb: 16384 };
  }
}

function instanceOnHost(uuid: string): BuildRequest {
  return {
    requestId: 'req-1',
    attempt: 1,
    instance: sampleInstance({ uuid }),
    ports: [samplePort({ id: 'port-1' })],
  };
}

const logDir = mkdtempSync(join(tmpdir(), 'nova-compute-test-'));
after(() => rmSync(logDir, { recursive: true, force: true }));

async function restartedCompute(vifPluggingTimeoutMs: number) {
  const bus = new Bus();
  const host = allInOne().hosts[0];
  bus.serve('get_host_instances', () => ({
    instances: [{ request: instanceOnHost('vm-1'), powerState: POWER_RUNNING }],
  }));
  const errors: InstanceErrorEvent[] = [];
  const power: InstancePowerEvent[] = [];
  bus.subscribe('compute.instance_error', (e) => errors.push(e));
  bus.subscribe('compute.instance_power_state', (e) => power.push(e));
  const driver = new RecordingDriver();
  const logs = new LogRegistry(logDir);
  const compute = new NovaCompute({
    bus,
    host,
    driver,
    log: logs.file(`${host.name}/nova-compute.log`),
    reportIntervalMs: 0,
    vifPluggingTimeoutMs,
  });
  await compute.start();
  return { bus, host, driver, compute, errors, power };
}

test('a guest running before the restart waits paused for network-vif-plugged, then runs', async () => {
  const { bus, host, driver, compute, errors } = await restartedCompute(5_000);
  assert.deepEqual(driver.calls, ['adopt vm-1 running=true paused=true']);
  bus.publish('compute.vif_plugged', { host: host.name, uuid: 'vm-1', portId: 'port-1' });
  await bus.idle();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(driver.calls, ['adopt vm-1 running=true paused=true', 'unpause vm-1']);
  assert.equal(compute.domains.get('vm-1')?.powerState, POWER_RUNNING);
  assert.deepEqual(errors, []);
  // A later event (the agent rewiring the port) is nobody's: nothing moves.
  bus.publish('compute.vif_plugged', { host: host.name, uuid: 'vm-1', portId: 'port-1' });
  await bus.idle();
  assert.equal(driver.calls.length, 2);
  compute.stop();
});

test('without network-vif-plugged the guest is powered off and the instance goes to ERROR', async () => {
  const { bus, driver, compute, errors, power } = await restartedCompute(30);
  await new Promise((r) => setTimeout(r, 80));
  await bus.idle();
  assert.deepEqual(driver.calls, ['adopt vm-1 running=true paused=true', 'powerOff vm-1']);
  assert.deepEqual(errors, [{ host: 'localhost', uuid: 'vm-1' }]);
  assert.deepEqual(power, [{ host: 'localhost', uuid: 'vm-1', powerState: 4 }]);
  compute.stop();
});
