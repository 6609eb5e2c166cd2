// Text from outside (desktop entries' Name=, unit names, commands) is escaped at each edge
// (issue 13 item 7): the journal, the terminal, the notification server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bodyForServer, summaryForServer } from '../../agent/core/notices.js';
import { createLogger } from '../../agent/io/log.js';
import { printable, printableDeep } from '../../shared/format.js';

describe('the journal', () => {
  test('a newline and a priority prefix in a name cannot forge a line', () => {
    const lines: string[] = [];
    const log = createLogger({ journal: true, write: (l) => lines.push(l) });
    log.info('killed Evil\n<0>kernel: panic');
    assert.deepEqual(lines, ['<6>killed Evil\\x0a<0>kernel: panic']);
    assert.equal(lines[0]!.split('\n').length, 1);
  });
});

describe('the terminal', () => {
  test('control characters show as \\xNN; any script and emoji pass', () => {
    assert.equal(printable('a\u001b]0;pwned\u0007b'), 'a\\x1b]0;pwned\\x07b');
    assert.equal(printable('tab\there\r\n'), 'tab\\x09here\\x0d\\x0a');
    assert.equal(printable('C1 \u009b31m'), 'C1 \\x9b31m');
    assert.equal(printable('Café 日本語 🦊'), 'Café 日本語 🦊');
  });
  test('every string of a record, at any depth; numbers and booleans untouched', () => {
    const k = { displayName: 'x\u001b[2J', n: 3, ok: true, candidates: [{ unit: 'a\nb', memoryBytes: 1 }] };
    assert.deepEqual(printableDeep(k), { displayName: 'x\\x1b[2J', n: 3, ok: true, candidates: [{ unit: 'a\\x0ab', memoryBytes: 1 }] });
  });
});

describe('the notification server', () => {
  test('a Name= with markup shows as text where the server renders body markup', () => {
    const body = 'It was using 1 GiB. <a href="http://x">click</a> & <img src="/etc/passwd"/>';
    assert.equal(bodyForServer(body, true), 'It was using 1 GiB. &lt;a href="http://x"&gt;click&lt;/a&gt; &amp; &lt;img src="/etc/passwd"/&gt;');
    assert.equal(bodyForServer(body, false), body, 'a server without markup shows the text as it is');
  });
  test('the summary keeps no markup character for servers that put it into markup', () => {
    const s = summaryForServer('<b>Evil</b> & Co was stopped');
    assert.doesNotMatch(s, /[<>&]/);
    assert.equal(s, '\u2039b\u203AEvil\u2039/b\u203A \uFF06 Co was stopped');
  });
});
