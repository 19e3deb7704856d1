/**
 * `node --import ./test/helpers/platform-darwin.mjs …`: process.platform says darwin, as on a Mac, so an entry
 * point's "Linux only" check can be seen from a Linux test machine.
 */
Object.defineProperty(process, 'platform', { value: 'darwin', configurable: true, enumerable: true });
