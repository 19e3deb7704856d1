import { readFileSync } from 'node:fs';
import { NAMESPACE_SYSCTL_KEYS, readNamespaceSysctls } from '../netem/topology.ts';

/** TCP sysctls where a side of the run lives: inside its namespace, or this process's own. */
export async function readTcpSysctls(ns: string | null): Promise<Record<string, string>> {
  if (ns !== null) return readNamespaceSysctls(ns);
  const out: Record<string, string> = {};
  for (const key of NAMESPACE_SYSCTL_KEYS) {
    try {
      out[key] = readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8')
        .trim()
        .split(/\s+/)
        .join(' ');
    } catch {
      // Not every kernel has every key; absent keys are simply not recorded.
    }
  }
  return out;
}
