import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandLineError, splitCommandLine, substitutePlaceholders } from '../../servers/command-line.ts';

test('server command lines split as sh splits words, quotes and escapes included', () => {
  assert.deepEqual(splitCommandLine(`nginx -c /etc/kab.conf -g 'daemon off;'`), [
    'nginx',
    '-c',
    '/etc/kab.conf',
    '-g',
    'daemon off;',
  ]);
  assert.deepEqual(splitCommandLine(`  python3   -m http.server  {port} `), ['python3', '-m', 'http.server', '{port}']);
  assert.deepEqual(splitCommandLine(`node "my app/server.js" --name "a \\"b\\" \\\\ c"`), [
    'node',
    'my app/server.js',
    '--name',
    'a "b" \\ c',
  ]);
  assert.deepEqual(splitCommandLine(`a\\ b 'it'"'"'s' ''`), ['a b', "it's", '']);
  assert.deepEqual(splitCommandLine(`x "a;b|c>d"`), ['x', 'a;b|c>d']);
});

test('what a shell would do and this does not is refused with the reason', () => {
  const refuses = (line: string, why: RegExp): void =>
    assert.throws(
      () => splitCommandLine(line),
      (e: unknown) => e instanceof CommandLineError && why.test(e.message),
      line,
    );
  refuses('nginx | tee log', /"\|" is a shell operator.*not run through a shell/);
  refuses('a; rm -rf x', /";" is a shell operator/);
  refuses('server > out.log', /">" is a shell operator/);
  refuses('echo $HOME', /"\$" is a shell operator/);
  refuses('echo "$HOME"', /would expand in a shell/);
  refuses("nginx -g 'daemon off;", /unbalanced '/);
  refuses('node "app.js', /unbalanced "/);
  refuses('node app.js \\', /trailing \\/);
  refuses('   ', /empty/);
});

test('{host} and {port} are filled in every argument', () => {
  assert.deepEqual(
    substitutePlaceholders(['srv', '--listen={host}:{port}', '{port}', 'plain'], { host: '198.18.0.2', port: 8080 }),
    ['srv', '--listen=198.18.0.2:8080', '8080', 'plain'],
  );
});
