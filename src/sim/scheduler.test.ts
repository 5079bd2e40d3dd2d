import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyModel } from './latency.js';
import { RealtimeDriver } from './pacing.js';
import { Random } from './random.js';
import { NS_PER_MS, Scheduler } from './scheduler.js';

test('events run in time order, FIFO among equal times', () => {
  const s = new Scheduler();
  const seen: string[] = [];
  const push = (x: string) => seen.push(x);
  s.schedule(30, push, 'c');
  s.schedule(10, push, 'a1');
  s.schedule(20, push, 'b');
  s.schedule(10, push, 'a2');
  s.schedule(10, push, 'a3');
  assert.equal(s.runUntilIdle(), 5);
  assert.deepEqual(seen, ['a1', 'a2', 'a3', 'b', 'c']);
  assert.equal(s.now, 30);
});

test('cancelled timers do not run; a stale handle cannot cancel a reused slot', () => {
  const s = new Scheduler();
  let ran = 0;
  const h = s.schedule(5, () => ran++);
  assert.equal(s.cancel(h), true);
  assert.equal(s.cancel(h), false);
  assert.equal(s.pending, 0);
  s.runUntilIdle();
  assert.equal(ran, 0);
  const h2 = s.schedule(5, () => ran++);
  assert.equal(s.cancel(h), false, 'old handle must not hit the new event');
  s.runUntilIdle();
  assert.equal(ran, 1);
  assert.equal(s.cancel(h2), false);
});

test('events scheduled from events, heap grows past its initial capacity', () => {
  const s = new Scheduler();
  const order: number[] = [];
  for (let i = 0; i < 5000; i++)
    s.schedule((i * 7919) % 5000, (x: number) => order.push(x), (i * 7919) % 5000);
  s.runUntilIdle();
  for (let i = 1; i < order.length; i++) assert.ok(order[i - 1] <= order[i]);
  let chain = 0;
  const again = () => {
    if (++chain < 100) s.schedule(1, again);
  };
  s.schedule(0, again);
  s.runUntilIdle();
  assert.equal(chain, 100);
});

test('runFor stops at the deadline and advances the clock; runUntil stops on the predicate', () => {
  const s = new Scheduler();
  let n = 0;
  for (let t = 100; t <= 1000; t += 100) s.at(t, () => n++);
  s.runFor(450);
  assert.equal(n, 4);
  assert.equal(s.now, 450);
  assert.equal(
    s.runUntil(() => n === 7, 10_000),
    true,
  );
  assert.equal(s.now, 700);
  assert.equal(
    s.runUntil(() => n === 99, 200),
    false,
  );
  assert.equal(s.now, 900);
  assert.equal(n, 9);
});

test('same seed, same random stream and same jitter; different seeds differ', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const sa = Array.from({ length: 8 }, () => a.u32());
  assert.deepEqual(
    sa,
    Array.from({ length: 8 }, () => b.u32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 8 }, () => c.u32()),
  );
  const la = new LatencyModel(new Random(7));
  const lb = new LatencyModel(new Random(7));
  const da = Array.from({ length: 20 }, () => la.delay('veth'));
  assert.deepEqual(
    da,
    Array.from({ length: 20 }, () => lb.delay('veth')),
  );
  for (const d of da) assert.ok(d >= 6_000 && d < 14_000, `veth delay ${d}`);
  assert.ok(new Set(da).size > 1, 'jitter varies');
  for (let i = 0; i < 100; i++) assert.ok(a.int(10) < 10);
  const mac = new Random(1).mac();
  assert.equal(mac[0] & 0x03, 0x02, 'locally administered unicast');
});

test('realtime driver runs events when the (fake) wall clock reaches them', async () => {
  const s = new Scheduler();
  let wall = 0;
  const d = new RealtimeDriver(s, { clock: () => wall });
  const fired: number[] = [];
  s.schedule(5 * NS_PER_MS, () => fired.push(s.now));
  d.start();
  assert.deepEqual(fired, []);
  wall = 6;
  d.sync();
  assert.deepEqual(fired, [5 * NS_PER_MS]);
  assert.equal(s.now, 6 * NS_PER_MS);
  d.stop();
});

test('realtime driver follows the real clock (a 20 ms timer fires after ~20 ms)', async () => {
  const s = new Scheduler();
  const d = new RealtimeDriver(s);
  const t0 = performance.now();
  d.start();
  const elapsed = await new Promise<number>((resolve) => {
    s.schedule(20 * NS_PER_MS, () => resolve(performance.now() - t0));
  });
  d.stop();
  assert.ok(elapsed >= 19 && elapsed < 500, `elapsed ${elapsed}`);
});
