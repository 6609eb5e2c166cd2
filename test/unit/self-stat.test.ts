// majflt out of /proc/PID/stat, whatever the command name holds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { majorFaultsOf, readMajorFaults } from '../../agent/io/self-stat.js';

test('majflt is field 12, counted after the last ")" of the command name', () => {
  const rest = 'S 1 1 1 0 -1 4194560 5210 0 77 0 12 3 0 0 20 0 11 0 1147634 3133440 390';
  assert.equal(majorFaultsOf(`4242 (node) ${rest}`), 77);
  // A name may hold spaces and ") ": splitting on the first ")" would land on the wrong field.
  assert.equal(majorFaultsOf(`4242 (a) b (c) d) ${rest}`), 77);
  assert.throws(() => majorFaultsOf('garbage'), /no command name in parentheses/);
  assert.throws(() => majorFaultsOf('1 (x) S 1'), /field 12 is not a count/);
});

test('this process: a count that never goes down', () => {
  const a = readMajorFaults();
  assert.ok(Number.isSafeInteger(a) && a >= 0);
  assert.ok(readMajorFaults() >= a);
});
