// The bus vtable the agent exports, held to assets/org.headroom.Agent1.xml without a bus:
// what dbus-next would advertise for it, member for member, and that each member is served.
// (test/integration/agent-bus.test.ts asks a running agent the same over a real bus.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { AgentApi } from '../../agent/api.js';
import { exportAgent } from '../../agent/bus/agent-service.js';
import type { MessageBus } from '../../agent/bus/dbus.js';
import { AGENT_BUS_NAME, AGENT_INTERFACE, AGENT_OBJECT_PATH } from '../../shared/names.js';
import { REPO } from '../support/agent-process.js';
import { interfaceMembers, members } from '../support/introspection.js';

/** dbus-next's own description of an exported interface (Interface.$introspect, xml2js-shaped). */
interface Introspected {
  $: { name: string };
  property?: { $: { name: string; type: string; access: string } }[];
  method?: { $: { name: string }; arg: { $: { direction: string; type: string } }[] }[];
  signal?: { $: { name: string }; arg: { $: { type: string } }[] }[];
}
interface Exported {
  $introspect(): Introspected;
  $methods: Record<string, { fn?: unknown }>;
  $signals: Record<string, { fn?: unknown }>;
  $properties: Record<string, unknown>;
}

/** Export the agent on a bus that only keeps what it is given. */
async function exported(): Promise<Exported> {
  const objects = new Map<string, unknown>();
  const bus = {
    export: (path: string, iface: unknown) => void objects.set(path, iface),
    requestName: () => Promise.resolve(1), // DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
  } as unknown as MessageBus;
  await exportAgent(bus, {} as AgentApi);
  const iface = objects.get(AGENT_OBJECT_PATH);
  assert.ok(iface, `exported at ${AGENT_OBJECT_PATH}`);
  return iface as Exported;
}

describe(`${AGENT_BUS_NAME} vtable`, () => {
  test('advertises exactly the members of assets/org.headroom.Agent1.xml, with their signatures', async () => {
    const live = (await exported()).$introspect();
    assert.equal(live.$.name, AGENT_INTERFACE);
    const advertised = interfaceMembers({
      name: live.$.name,
      method: (live.method ?? []).map((m) => ({ name: m.$.name, arg: m.arg.map((a) => a.$) })),
      signal: (live.signal ?? []).map((s) => ({ name: s.$.name, arg: s.arg.map((a) => a.$) })),
      property: (live.property ?? []).map((p) => p.$),
    });
    const declared = members(readFileSync(join(REPO, 'assets', 'org.headroom.Agent1.xml'), 'utf8'));
    assert.deepEqual(advertised, declared);
    assert.ok(declared.length >= 19, 'the contract lists every member');
  });

  test('serves every method and signal it advertises, and has a getter for every property', async () => {
    const iface = await exported();
    for (const [name, m] of Object.entries(iface.$methods)) assert.equal(typeof m.fn, 'function', `method ${name}`);
    for (const [name, s] of Object.entries(iface.$signals)) assert.equal(typeof s.fn, 'function', `signal ${name}`);
    const proto = Object.getPrototypeOf(iface) as object;
    for (const name of Object.keys(iface.$properties)) assert.equal(typeof Object.getOwnPropertyDescriptor(proto, name)?.get, 'function', `property ${name}`);
  });
});
