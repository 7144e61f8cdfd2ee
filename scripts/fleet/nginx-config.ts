/**
 * The nginx (OSS) configuration in front of a Manifold fleet (docs/FLEET.md "Routing"), as text. Stock
 * directives only: 2026-07-28 requests carry no session and go to any instance (round robin, the next one when
 * an instance refuses the connection); a 2025 Streamable HTTP session (`Mcp-Session-Id` header) and a legacy
 * SSE session (`?sessionId=` on POST /messages) go to the instance whose id leads the session id. When that
 * instance is gone, its upstream's backups (the other instances) answer 404 "session not found", and SDK
 * clients open a new session.
 */
export interface FleetInstance {
  /** The instance id (`fleet.instanceId`), which leads its session ids. */
  id: string;
  host?: string;
  port: number;
}

export interface NginxConfigOptions {
  /** Where nginx listens, e.g. 127.0.0.1:3330. */
  listen: string;
  instances: readonly FleetInstance[];
  /** A folder nginx may write its pid, logs and temp files to (absolute); absent: nginx's defaults. */
  runDir?: string;
  /** Keep-alive connections per worker to each upstream. */
  keepalive?: number;
}

export function nginxConfig(options: NginxConfigOptions): string {
  const address = (instance: FleetInstance) => `${instance.host ?? '127.0.0.1'}:${instance.port}`;
  const keepalive = options.keepalive ?? 64;
  const run = options.runDir;
  const lines: string[] = [
    '# Manifold fleet behind nginx (OSS): see docs/FLEET.md "Routing".',
    'worker_processes 1;',
    'daemon off;',
    ...(run ? [`pid ${run}/nginx.pid;`, `error_log ${run}/error.log warn;`] : []),
    '',
    'events {',
    '  worker_connections 4096;',
    '}',
    '',
    'http {',
    '  access_log off;',
    ...(run
      ? [
          `  client_body_temp_path ${run}/client_body;`,
          `  proxy_temp_path ${run}/proxy;`,
          `  fastcgi_temp_path ${run}/fastcgi;`,
          `  uwsgi_temp_path ${run}/uwsgi;`,
          `  scgi_temp_path ${run}/scgi;`
        ]
      : []),
    '  # Request bodies up to the gateway\'s own limit (gateway.maxMessageBytes, 16 MiB): the gateway answers over it.',
    '  client_max_body_size 17m;',
    '',
    '  # Stateless traffic (2026-07-28 requests, new sessions): any instance; the next one if a connection is refused.',
    '  upstream fleet {',
    ...options.instances.map(instance => `    server ${address(instance)} max_fails=1 fail_timeout=2s;`),
    `    keepalive ${keepalive};`,
    '  }',
    '',
    '  # A session lives on one instance: its own upstream, the others as backups that answer 404 when it is gone.',
    ...options.instances.flatMap(instance => [
      `  upstream ${instance.id} {`,
      `    server ${address(instance)} max_fails=1 fail_timeout=2s;`,
      ...options.instances.filter(other => other !== instance).map(other => `    server ${address(other)} backup;`),
      `    keepalive ${keepalive};`,
      '  }'
    ]),
    '',
    '  # The instance a session id names: "<instance>.<uuid>", in the Mcp-Session-Id header (2025 Streamable HTTP)',
    '  # or the sessionId query parameter (legacy SSE POST /messages).',
    '  map $http_mcp_session_id $manifold_header_instance {',
    '    "~^(?<header_instance>[a-z0-9-]+)\\." $header_instance;',
    '    default "";',
    '  }',
    '  map $arg_sessionId $manifold_instance {',
    '    "~^(?<query_instance>[a-z0-9-]+)\\." $query_instance;',
    '    default $manifold_header_instance;',
    '  }',
    '  # Only ids of this fleet pick an upstream; anything else (no session, an unknown id) is balanced.',
    '  map $manifold_instance $manifold_backend {',
    ...options.instances.map(instance => `    ${instance.id} ${instance.id};`),
    '    default fleet;',
    '  }',
    '',
    '  server {',
    `    listen ${options.listen};`,
    '    location / {',
    '      proxy_pass http://$manifold_backend;',
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_set_header Host $http_host;',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      # Streams (SSE answers, GET listen streams, legacy /sse) go out as they come, and may stay open long.',
    '      proxy_buffering off;',
    '      proxy_request_buffering off;',
    '      proxy_read_timeout 1h;',
    '      proxy_send_timeout 1h;',
    '      # A refused connection (an instance that is gone) is tried on the next server; nothing sent twice.',
    '      proxy_next_upstream error timeout;',
    '      proxy_next_upstream_tries 3;',
    '      proxy_connect_timeout 2s;',
    '    }',
    '  }',
    '}',
    ''
  ];
  return lines.join('\n');
}
