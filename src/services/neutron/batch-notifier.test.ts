import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchNotifier } from './batch-notifier.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the first event goes out at once, those of the next interval together, then the sender rests', async () => {
  const sent: string[][] = [];
  const n = new BatchNotifier<string>(60, (events) => sent.push(events));
  n.queue('a');
  await sleep(5);
  assert.deepEqual(sent, [['a']]);
  n.queue('b');
  n.queue('c');
  await sleep(20);
  assert.deepEqual(sent, [['a']], 'b and c wait for the interval');
  await sleep(60);
  assert.deepEqual(sent, [['a'], ['b', 'c']]);
  await sleep(80);
  n.queue('d');
  await sleep(5);
  assert.deepEqual(sent, [['a'], ['b', 'c'], ['d']], 'after a quiet interval the next event goes at once');
  n.queue(null);
  n.stop();
  n.queue('e');
  n.stop();
  await sleep(10);
  assert.equal(sent.length, 3);
});
