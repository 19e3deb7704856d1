/**
 * Runs a command inside the user-mode kernel (see run.ts), streaming its output; exits with its exit code.
 *   node --import tsx test/helpers/uml/cli.ts [--mem 2G] [--timeout-s N] -- <command> [args…]
 */
import { runInUml, umlUnavailableReason } from './run.ts';

const args = process.argv.slice(2);
let mem: string | undefined;
let timeout_ms: number | undefined;
while (args[0]?.startsWith('--') && args[0] !== '--') {
  const flag = args.shift();
  const value = args.shift();
  if (flag === '--mem') mem = value;
  else if (flag === '--timeout-s') timeout_ms = Number(value) * 1000;
  else {
    process.stderr.write(`unknown option ${flag}\n`);
    process.exit(2);
  }
}
if (args[0] === '--') args.shift();
if (args.length === 0) {
  process.stderr.write(
    'usage: node --import tsx test/helpers/uml/cli.ts [--mem 2G] [--timeout-s N] -- <command> [args…]\n',
  );
  process.exit(2);
}
const why = umlUnavailableReason();
if (why) {
  process.stderr.write(`error: ${why}\n`);
  process.exit(2);
}
const r = await runInUml(args, { mem, timeout_ms, onOutput: (c) => process.stdout.write(c) });
if (r.failure) process.stderr.write(`error: ${r.failure}\n`);
process.exit(r.code ?? 1);
