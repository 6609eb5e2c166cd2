// An interface's members as comparable strings, from introspection XML: what the running
// agent answers (test/integration/agent-bus.test.ts) and what it is built to advertise
// (test/unit/agent-service.test.ts) are both held to assets/org.headroom.Agent1.xml with it.
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { AGENT_INTERFACE } from '../../shared/names.js';

export interface IntrospectedArg { type: string; direction?: string }
export interface IntrospectedInterface {
  name: string;
  method?: { name: string; arg?: IntrospectedArg[] }[];
  signal?: { name: string; arg?: IntrospectedArg[] }[];
  property?: { name: string; type: string; access: string }[];
}

/** The members of `ifaceName` (the agent's by default) in this XML, sorted: `method M(in) -> (out)`, `signal S(sig)`, `property P type access`. */
export function members(xml: string, ifaceName: string = AGENT_INTERFACE): string[] {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['interface', 'method', 'signal', 'property', 'arg'].includes(name) })
    .parse(xml) as { node: { interface: IntrospectedInterface[] } };
  const iface = doc.node.interface.find((i) => i.name === ifaceName);
  assert.ok(iface, 'interface present');
  return interfaceMembers(iface);
}

/** The same strings for an interface already parsed. */
export function interfaceMembers(iface: IntrospectedInterface): string[] {
  const args = (a: IntrospectedArg[] | undefined, dir: string): string => (a ?? []).filter((x) => (x.direction ?? 'in') === dir || dir === 'sig').map((x) => x.type).join('');
  return [
    ...(iface.method ?? []).map((m) => `method ${m.name}(${args(m.arg, 'in')}) -> (${args(m.arg, 'out')})`),
    ...(iface.signal ?? []).map((s) => `signal ${s.name}(${args(s.arg, 'sig')})`),
    ...(iface.property ?? []).map((p) => `property ${p.name} ${p.type} ${p.access}`),
  ].sort();
}
