/**
 * `node --import tsx --import ./test/helpers/no-koffi.mjs …`: a system where koffi cannot load (macOS, musl, no
 * prebuilt binary). Both ways to reach it fail as a missing package would: `import 'koffi'` (a resolve hook in
 * the loader chain) and `require('koffi')` (CommonJS resolution, which module hooks do not see in Node 20).
 */
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const BLOCKED = /^koffi(\/|$)/;
const message = (name) => `Cannot find package '${name}' (blocked by test/helpers/no-koffi.mjs)`;

/** The resolve hook, in the loader thread: this same file registered as hooks. */
export async function resolve(specifier, context, next) {
  if (BLOCKED.test(specifier)) throw Object.assign(new Error(message(specifier)), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}

// Run by --import on the main thread (not in the hooks thread, where this file is loaded again as the hooks).
if (isMainThread) {
  register(import.meta.url);
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (typeof request === 'string' && BLOCKED.test(request))
      throw Object.assign(new Error(message(request)), { code: 'MODULE_NOT_FOUND' });
    return original.call(this, request, ...rest);
  };
}
