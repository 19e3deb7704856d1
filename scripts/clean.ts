/** `npm run clean` — removes what a killed run left: kab namespaces, links and processes of dead runs. */
import { parseArgs } from 'node:util';
import { cleanStale } from '../netem/cleanup.ts';
import { UserError } from '../lib/errors.ts';
import { runMain } from './cli.ts';

const HELP = `npm run clean

Removes network namespaces, links and processes named with the prefix "kab" whose owning run is no longer
alive (after a SIGKILL, a crash or a power cut). A live run's objects and anything without the prefix are
never touched. Needs root for namespaces; without root there is nothing privileged to remove.`;

runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { help: { type: 'boolean', short: 'h' } },
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
  const { removed } = await cleanStale({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(removed.length ? `removed: ${removed.join(', ')}\n` : 'nothing left behind\n');
  return 0;
});
