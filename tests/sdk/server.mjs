// Helpers shared by the SDK tests: an uptake server on a loopback port, its
// account responses, and a loopback proxy that fails the first request once.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const WRITE_KEY = 'sdk-test-key';

// Feature catalog used by every SDK test. Each test sends events of these names.
export const FEATURES = [
  { id: 'Reports', events: ['Report Viewed', 'Report Created'] },
  { id: 'Messaging', events: ['Message Sent'] },
  { id: 'Dashboards', events: ['Dashboard Viewed'] },
];

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

// Renders the test config as YAML. JSON strings are valid YAML scalars, so
// every value is written with JSON.stringify.
function renderConfig({ writeKeys, features, extraYaml }) {
  const lines = [
    `write_keys: [${writeKeys.map((key) => JSON.stringify(key)).join(', ')}]`,
    'clock: wall',
    'login_events: ["Signed In"]',
    'features:',
  ];
  for (const feature of features) {
    lines.push(`  - id: ${JSON.stringify(feature.id)}`);
    lines.push(`    events: [${feature.events.map((name) => JSON.stringify(name)).join(', ')}]`);
  }
  if (extraYaml) lines.push(extraYaml.trimEnd());
  return lines.join('\n') + '\n';
}

// Starts `uptake serve` on 127.0.0.1:0 with a fresh config file and data folder.
// Resolves once the server logs `listening on 127.0.0.1:PORT`. Rejects with the
// server's stderr when it exits early or does not listen within START_TIMEOUT_MS.
//
// extraYaml is appended to the config, for keys such as `accounts:` and `cors:`.
export async function startUptake({
  writeKeys = [WRITE_KEY],
  features = FEATURES,
  extraYaml = '',
} = {}) {
  const binary = process.env.UPTAKE_BINARY;
  if (!binary) {
    throw new Error('UPTAKE_BINARY is not set: run tests/sdk/run.sh PATH_TO_UPTAKE, or export it.');
  }

  const workDir = await mkdtemp(path.join(tmpdir(), 'uptake-sdk-'));
  const configPath = path.join(workDir, 'uptake.yaml');
  const dataDir = path.join(workDir, 'data');
  const configText = renderConfig({ writeKeys, features, extraYaml });
  await writeFile(configPath, configText);

  const child = spawn(
    binary,
    [
      'serve',
      '--config', configPath,
      '--data-dir', dataDir,
      '--listen', '127.0.0.1:0',
      '--log-level', 'debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

  let log = '';
  const appendLog = (chunk) => {
    log += chunk.toString('utf8');
  };
  child.stdout.on('data', appendLog);
  child.stderr.on('data', appendLog);

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`uptake did not log "listening on" within ${START_TIMEOUT_MS} ms. Log:\n${log}`));
    }, START_TIMEOUT_MS);

    const onData = () => {
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (!match) return;
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.stdout.off('data', onData);
      resolve(Number(match[1]));
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);

    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(
        `uptake exited with code ${code} (signal ${signal}) before listening.\n` +
        `Config:\n${configText}\nLog:\n${log}`,
      ));
    });
  });

  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    port,
    baseUrl,
    configText,
    log: () => log,

    // Returns {status, body} of GET /v1/accounts/{id}; body is the parsed JSON
    // or null when the response is not JSON.
    async account(accountId) {
      const response = await fetch(`${baseUrl}/v1/accounts/${encodeURIComponent(accountId)}`);
      const text = await response.text();
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
      return { status: response.status, body, text };
    },

    // Sends SIGTERM and waits for the exit, then SIGKILL after STOP_TIMEOUT_MS.
    // Removes the config and data folder.
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

// Polls GET /v1/accounts/{id} until `accept(body)` returns true or timeoutMs
// passes, at most `maxPolls` times. Returns the last {status, body}. SDKs flush
// in the background, so a test waits for the count it expects before it
// checks every figure.
export async function waitForAccount(server, accountId, accept, { timeoutMs = 10_000, maxPolls = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = await server.account(accountId);
  for (let poll = 1; poll < maxPolls && Date.now() < deadline; poll++) {
    if (last.status === 200 && last.body && accept(last.body)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await server.account(accountId);
  }
  return last;
}

// Starts a loopback HTTP proxy to `targetBaseUrl`. The first request it
// receives gets `503 Service Unavailable` with `Retry-After: 0` and is
// not forwarded, unless failFirst is false. Every other request is forwarded
// byte for byte, headers included. `requests` lists each request's method,
// URL, status and Content-Encoding, so a test can check what the SDK sent and
// that it resent.
export async function startFailOnceProxy(targetBaseUrl, { failFirst = true } = {}) {
  const target = new URL(targetBaseUrl);
  const requests = [];
  let failed = !failFirst;

  const proxy = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const record = {
        method: request.method,
        url: request.url,
        contentEncoding: request.headers['content-encoding'] ?? null,
        bodyBytes: body.length,
        status: null,
      };
      requests.push(record);

      if (!failed) {
        failed = true;
        record.status = 503;
        response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '0' });
        response.end('{"error":"unavailable","message":"Injected by the test proxy."}');
        return;
      }

      const headers = { ...request.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['transfer-encoding'];
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers,
        },
        (upstreamResponse) => {
          record.status = upstreamResponse.statusCode;
          response.writeHead(upstreamResponse.statusCode, upstreamResponse.headers);
          upstreamResponse.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        record.status = 502;
        response.writeHead(502, { 'Content-Type': 'text/plain' });
        response.end(`Test proxy failed to reach uptake: ${error.message}`);
      });
      upstream.end(body);
    });
  });

  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address();

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

// Returns a name unique to this process and call, so tests that share a
// server never share an account or a user.
let uniqueCounter = 0;
export function uniqueName(prefix) {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${uniqueCounter}`;
}
