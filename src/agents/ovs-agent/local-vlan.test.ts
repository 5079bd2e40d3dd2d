import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalVlanPool, MAX_VLAN_TAG } from './local-vlan.js';

test('set.pop() order: 1, 2, 3 …; a freed tag waits until the finger wraps round', () => {
  const p = new LocalVlanPool();
  assert.deepEqual(
    ['a', 'b', 'c'].map((n) => p.allocate(n)),
    [1, 2, 3],
  );
  p.release(1);
  assert.equal(p.allocate('d'), 4);
  // Take everything up to 4094: the next pop wraps to the freed 1.
  for (let i = 5; i <= MAX_VLAN_TAG; i++) p.allocate(`n${i}`);
  assert.equal(p.allocate('e'), 1);
  assert.equal(p.allocate('f'), null, 'exhausted');
});

test('hints from OVSDB keep their tags; unclaimed hints return to the pool', () => {
  const p = new LocalVlanPool();
  assert.equal(p.hint('net-a', 2), true);
  assert.equal(p.hint('net-b', 2), false, 'a tag is hinted once');
  assert.equal(p.hint('net-c', 5), true);
  assert.equal(p.allocate('net-x'), 1);
  assert.equal(p.allocate('net-a'), 2);
  assert.equal(p.allocate('net-y'), 3);
  p.disposeHints(); // net-c never showed up: 5 is free again
  assert.equal(p.allocate('net-z'), 4);
  assert.equal(p.allocate('net-w'), 5);
});
