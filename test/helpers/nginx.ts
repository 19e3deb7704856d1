/** nginx (Debian's nginx-light) as a server under test: a config in a folder of the test's own. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';
const BODY_100 = '0123456789'.repeat(10);

/**
 * nginx.conf in `dir` (which needs body/, proxy/, fastcgi/, uwsgi/ and scgi/ folders): port 8080, `/small` (100 B)
 * and `/files/` from `dir/files`, the given keepalive_timeout.
 */
export function nginxConf(dir: string, keepalive_timeout: string): string {
  const file = join(dir, `nginx-${keepalive_timeout}.conf`);
  writeFileSync(
    file,
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout ${keepalive_timeout};
  server {
    listen 8080;
    location = /small { default_type text/plain; return 200 "${BODY_100}"; }
    location /files/ { root ${dir}; }
  }
}
`,
  );
  return file;
}
