#!/usr/bin/env node
// The `keepalive-bench` command: `keepalive-bench <bench|report|compare|serve|clean> [options]`, the npm scripts of
// this package for a project that installed it (from a git URL or a tarball). TypeScript runs through tsx, a
// runtime dependency, registered in this process: no build step, and signals and exit codes are the script's own.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const COMMANDS = {
  bench: 'run the benchmark (npm run bench)',
  report: 'build report.html and summary.md of a run folder (npm run report)',
  compare: 'compare two runs, exit 1 on a regression (npm run compare)',
  serve: "run one of the harness's servers for --target on another host (npm run serve)",
  clean: 'remove what a killed run left behind (npm run clean)',
  gate: "measure a server's base and head and gate on compare (what the GitHub action runs)",
};

function usage() {
  const lines = Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(8)} ${what}`);
  return `usage: keepalive-bench <command> [options]   (keepalive-bench <command> --help for its options)\n       keepalive-bench --version\n\n${lines.join('\n')}\n`;
}

const [command, ...args] = process.argv.slice(2);
if (command === '--version' || command === '-V') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`keepalive-bench ${pkg.version}\n`);
  process.exit(0);
}
if (command === undefined || command === '-h' || command === '--help') {
  process.stdout.write(usage());
  process.exit(command === undefined ? 2 : 0);
}
if (!Object.hasOwn(COMMANDS, command)) {
  process.stderr.write(`error: unknown command "${command}"\n\n${usage()}`);
  process.exit(2);
}
const script = fileURLToPath(new URL(`../scripts/${command}.ts`, import.meta.url));
if (!existsSync(script)) {
  process.stderr.write(`error: ${script} is missing: reinstall keepalive-bench\n`);
  process.exit(1);
}
register();
// The scripts read their options from process.argv.slice(2), as under `node --import tsx scripts/<command>.ts`.
process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
