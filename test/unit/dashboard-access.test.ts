// Who may use the dashboard, walked through hours on a fake clock: a link works once and only
// for a while, a session lasts while it is used and not beyond its lifetime, and neither can
// be made to pile up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DashboardAccess, MAX_LINKS, MAX_SESSIONS, type AccessTimes } from '../../agent/dashboard/access.js';

const MIN = 60_000;
const TIMES: AccessTimes = { linkTtlMs: 10 * MIN, sessionMaxMs: 12 * 60 * MIN, sessionIdleMs: 30 * MIN };

function world(): { access: DashboardAccess; advance: (ms: number) => void } {
  let now = 1_000_000;
  let n = 0;
  const access = new DashboardAccess(() => `secret-${++n}`, () => now, TIMES);
  return { access, advance: (ms) => { now += ms; } };
}

describe('dashboard access', () => {
  test('a link works once: the second use of the same secret is refused', () => {
    const { access } = world();
    const link = access.mintLink();
    const first = access.admit({ once: link });
    assert.equal(first.ok, true);
    assert.deepEqual(access.admit({ once: link }), { ok: false, reason: 'used-or-expired' });
    assert.equal(access.linkOpen(link), false);
  });

  test('a link not used within its time is refused', () => {
    const { access, advance } = world();
    const link = access.mintLink();
    advance(10 * MIN);
    assert.deepEqual(access.admit({ once: link }), { ok: false, reason: 'used-or-expired' });
  });

  test('nothing, a wrong secret, or a session id used as a link gets nothing', () => {
    const { access } = world();
    const link = access.mintLink();
    assert.deepEqual(access.admit(null), { ok: false, reason: 'missing' });
    assert.equal(access.admit({ once: `${link}x` }).ok, false);
    assert.equal(access.admit({ session: link }).ok, false, 'a link is not a session');
    const granted = access.admit({ once: link });
    assert.ok(granted.ok);
    assert.equal(access.admit({ once: granted.session }).ok, false, 'a session is not a link');
  });

  test('a session reconnects while alive, ends after 30 idle minutes with no page open', () => {
    const { access, advance } = world();
    const granted = access.admit({ once: access.mintLink() });
    assert.ok(granted.ok);
    advance(2 * 60 * MIN); // a page stays open for two hours: an open page is not idle
    assert.equal(access.alive(granted.session), true);
    access.left(granted.session); // its socket drops (a reload, the server restarting a socket)
    advance(29 * MIN);
    const again = access.admit({ session: granted.session });
    assert.ok(again.ok, 'back within the idle time');
    assert.equal(again.session, granted.session);
    access.left(granted.session);
    advance(30 * MIN);
    assert.deepEqual(access.admit({ session: granted.session }), { ok: false, reason: 'session-expired' });
  });

  test('a session ends after its lifetime even with its page open', () => {
    const { access, advance } = world();
    const granted = access.admit({ once: access.mintLink() });
    assert.ok(granted.ok);
    assert.equal(granted.expiresAtMs - 1_000_000, 12 * 60 * MIN);
    advance(12 * 60 * MIN - 1);
    assert.equal(access.alive(granted.session), true);
    advance(1);
    assert.equal(access.alive(granted.session), false);
  });

  test('links and sessions are bounded: a flood evicts the oldest, never grows without end', () => {
    const { access } = world();
    const links = Array.from({ length: MAX_LINKS + 5 }, () => access.mintLink());
    assert.equal(access.linkOpen(links[0]!), false, 'the oldest link went');
    assert.equal(access.linkOpen(links.at(-1)!), true);
    const sessions: string[] = [];
    for (let i = 0; i < MAX_SESSIONS + 5; i++) {
      const g = access.admit({ once: access.mintLink() });
      assert.ok(g.ok);
      access.left(g.session);
      sessions.push(g.session);
    }
    assert.equal(sessions.filter((s) => access.alive(s)).length, MAX_SESSIONS);
    assert.equal(access.alive(sessions.at(-1)!), true, 'the newest session is kept');
  });
});
