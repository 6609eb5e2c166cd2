// Facts about the machine for the dashboard's "System" box: OS, kernel, CPUs, memory and swap
// totals. They do not change while a page is open, so a feed asks once (agent/feed/agent-feed.ts).
import { availableParallelism, hostname as osHostname } from 'node:os';
import si from 'systeminformation';
import type { SystemFacts } from '../../shared/bridge.js';

/** Static facts from systeminformation (and Node where it knows better). */
export async function readSystemFacts(): Promise<SystemFacts> {
  const [os, mem] = await Promise.all([si.osInfo(), si.mem()]);
  const release = [os.distro, os.release].filter((s) => s !== '').join(' ');
  return {
    hostname: os.hostname || osHostname(),
    os: os.codename ? `${release} (${os.codename})` : release,
    kernel: os.kernel,
    cpus: availableParallelism(),
    memTotalBytes: mem.total,
    swapTotalBytes: mem.swaptotal,
  };
}
