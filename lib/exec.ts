/** argv that runs argv inside network namespace ns (null = here). Never a shell string. */
export function inNetns(ns: string | null, argv: readonly string[]): string[] {
  return ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}
