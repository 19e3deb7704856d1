/** `npm run clean` — removes what a killed run left: the namespaces, links and processes of dead runs. */
import { parseArgs } from 'node:util';
import { cleanStale } from '../netem/cleanup.ts';
import { UserError } from '../lib/errors.ts';
import { versionHelp, runMain } from './cli.ts';

const HELP = `npm run clean [-- --force]

Removes the network namespaces (kab-<run id>-<letter>), links (kab<run id><letter>) and processes of runs whose
process is no longer alive (after a SIGKILL, a crash or a power cut), as their records in /run/kab name them,
and puts back the host's congestion-control list if a dead run changed it. A live run's objects and any other
name (say a namespace "kabinet") are never touched. Objects named like the harness's but with no record at all
are listed and left alone; --force removes them too. Needs root for namespaces.

  --force      also remove objects named like the harness's that no record names
  -h, --help   this help
  ${versionHelp(13)}`;

runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { help: { type: 'boolean', short: 'h' }, force: { type: 'boolean' }, version: { type: 'boolean' } },
      strict: true,
    }));
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stdout.write('not root: this user cannot have created namespaces or links; nothing to clean\n');
    return 0;
  }
  const { removed } = await cleanStale({
    log: (line) => process.stderr.write(`${line}\n`),
    force: values.force === true,
  });
  process.stdout.write(removed.length ? `removed: ${removed.join(', ')}\n` : 'nothing left behind\n');
  return 0;
});
