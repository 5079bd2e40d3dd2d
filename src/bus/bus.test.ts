import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus, NoServer } from './bus.js';

declare module './bus.js' {
  interface BusEvents {
    'test.thing': { id: string; n: number };
  }
  interface BusCalls {
    test_echo: { request: { text: string }; response: { text: string; host: string } };
  }
}

describe('bus', () => {
  it('delivers events after the publisher has finished, as copies', async () => {
    const bus = new Bus();
    const seen: number[] = [];
    const payload = { id: 'a', n: 1 };
    bus.subscribe('test.thing', (p) => {
      p.n = 99;
      seen.push(p.n);
    });
    bus.subscribe('test.thing', (p) => seen.push(p.n));
    bus.publish('test.thing', payload);
    assert.deepEqual(seen, [], 'nothing delivered synchronously');
    payload.n = 2; // the publisher changing its object later does not reach listeners
    await bus.idle();
    assert.deepEqual(seen, [99, 1]);
    assert.equal(payload.n, 2);
  });

  it('routes calls to the server of a targeted topic and rejects without one', async () => {
    const bus = new Bus();
    bus.serve('test_echo.compute1', (r) => ({ text: r.text.toUpperCase(), host: 'compute1' }));
    assert.deepEqual(await bus.call('test_echo.compute1', { text: 'hi' }), { text: 'HI', host: 'compute1' });
    await assert.rejects(bus.call('test_echo.compute2', { text: 'hi' }), NoServer);
    assert.equal(bus.cast('test_echo.compute2', { text: 'x' }), false);
    assert.throws(
      () => bus.serve('test_echo.compute1', () => ({ text: '', host: '' })),
      /already has a server/,
    );
  });

  it('keeps order per topic and carries on after a failing listener', async () => {
    const bus = new Bus();
    const order: number[] = [];
    bus.subscribe('test.thing', (p) => order.push(p.n));
    for (let i = 0; i < 5; i++) bus.publish('test.thing', { id: 'x', n: i });
    await bus.idle();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });
});
