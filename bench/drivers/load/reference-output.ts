/** Requests per second from the reference tools' text output (scripts/bench-drivers.ts compares the drivers with them). */
export function parseH2loadRps(stdout: string): number {
  const m = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(stdout);
  if (!m?.[1]) throw new Error(`could not read h2load's req/s from: ${stdout.slice(0, 300)}`);
  return Number(m[1]);
}

export function parseWrkRps(stdout: string): number {
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!m?.[1]) throw new Error(`could not read wrk's Requests/sec from: ${stdout.slice(0, 300)}`);
  return Number(m[1]);
}
