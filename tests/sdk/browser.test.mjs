// Events sent from a web page in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) to uptake on another loopback origin: one with
// fetch() and a CORS preflight, one with navigator.sendBeacon(). The page's
// origin is listed in uptake's `cors.allowed_origins`.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { WRITE_KEY, startUptake, uniqueName, waitForAccount } from './server.mjs';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags that keep Chromium off the network and out of first-run work on a
// machine whose outbound connections are closed.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CORS_MAX_AGE_SECONDS = 600;

// The page only defines helpers. The test calls them with page.evaluate().
const PAGE_HTML = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>uptake browser test</title></head>
<body>
<script>
  // Sends one Segment track call with fetch(). application/json and an
  // Authorization header make it a non-simple request, so Chromium sends a
  // CORS preflight first. Returns the status and body, or the error text.
  window.sendWithFetch = async (url, writeKey, event) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Authorization': 'Basic ' + btoa(writeKey + ':'),
        },
        body: JSON.stringify(event),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { error: String(error) };
    }
  };

  // Queues one Segment batch with navigator.sendBeacon(). A string body is
  // sent as text/plain;charset=UTF-8, so no preflight is made, and the write
  // key travels in the body. Returns whether the browser queued the beacon.
  window.sendWithBeacon = (url, writeKey, event) =>
    navigator.sendBeacon(url, JSON.stringify({ writeKey, batch: [event] }));
</script>
</body>
</html>
`;

let pageServer;
let pageOrigin;
let server;
let context;
let profileDir;

before(async () => {
  pageServer = http.createServer((request, response) => {
    if (request.method === 'GET' && (request.url === '/' || request.url === '/index.html')) {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(PAGE_HTML);
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('not found');
  });
  await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${pageServer.address().port}`;

  server = await startUptake({
    extraYaml: [
      'cors:',
      `  allowed_origins: [${JSON.stringify(pageOrigin)}]`,
      `  max_age_seconds: ${CORS_MAX_AGE_SECONDS}`,
    ].join('\n'),
  });

  profileDir = await mkdtemp(path.join(tmpdir(), 'uptake-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (pageServer) {
    pageServer.closeAllConnections();
    await new Promise((resolve) => pageServer.close(resolve));
  }
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

function trackEvent({ userId, accountId, event }) {
  return {
    type: 'track',
    messageId: crypto.randomUUID(),
    userId,
    event,
    context: { groupId: accountId },
    timestamp: new Date().toISOString(),
  };
}

test('browser: preflight allows page origin', async () => {
  const response = await fetch(`${server.baseUrl}/v1/track`, {
    method: 'OPTIONS',
    headers: {
      Origin: pageOrigin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });

  assert.ok(response.status === 200 || response.status === 204, `preflight status ${response.status}`);
  assert.equal(response.headers.get('access-control-allow-origin'), pageOrigin);
  const allowedMethods = (response.headers.get('access-control-allow-methods') ?? '').toUpperCase();
  assert.match(allowedMethods, /\bPOST\b/, 'Access-Control-Allow-Methods');
  const allowedHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  assert.match(allowedHeaders, /\bauthorization\b/, 'Access-Control-Allow-Headers');
  assert.match(allowedHeaders, /\bcontent-type\b/, 'Access-Control-Allow-Headers');
  assert.equal(response.headers.get('access-control-max-age'), String(CORS_MAX_AGE_SECONDS));
});

test('browser: preflight rejects other origin', async () => {
  const response = await fetch(`${server.baseUrl}/v1/track`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://127.0.0.1:1',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });

  assert.equal(response.headers.get('access-control-allow-origin'), null, 'no CORS grant for an unlisted origin');
});

// Opens the test page in a new tab, runs `body(page)`, and closes the tab.
async function withPage(body) {
  const page = await context.newPage();
  try {
    await page.goto(`${pageOrigin}/`, { timeout: 15_000 });
    return await body(page);
  } finally {
    await page.close();
  }
}

test('browser: fetch with preflight stored', async () => {
  const accountId = uniqueName('browser-fetch-acct');
  const userId = uniqueName('browser-fetch-user');

  const fetchResult = await withPage((page) => page.evaluate(
    ([url, writeKey, event]) => window.sendWithFetch(url, writeKey, event),
    [`${server.baseUrl}/v1/track`, WRITE_KEY, trackEvent({ userId, accountId, event: 'Report Viewed' })],
  ));

  assert.equal(fetchResult.error, undefined, `fetch() from the page failed: ${fetchResult.error}`);
  assert.equal(fetchResult.status, 200, `fetch() answer: ${fetchResult.body}`);
  assert.equal(JSON.parse(fetchResult.body).accepted, 1, 'events accepted from fetch()');

  const answer = await server.account(accountId);
  assert.equal(answer.status, 200, `GET /v1/accounts/${accountId}: ${answer.text}`);
  assert.equal(answer.body.event_count, 1, 'event_count');
  assert.deepEqual(answer.body.counts, { 'Report Viewed': 1 }, 'counts');
  assert.deepEqual(answer.body.features_used, ['Reports'], 'features_used');
});

test('browser: sendBeacon text/plain stored', async () => {
  const accountId = uniqueName('browser-beacon-acct');
  const userId = uniqueName('browser-beacon-user');

  const queued = await withPage((page) => page.evaluate(
    ([url, writeKey, event]) => window.sendWithBeacon(url, writeKey, event),
    [`${server.baseUrl}/v1/batch`, WRITE_KEY, trackEvent({ userId, accountId, event: 'Message Sent' })],
  ));
  assert.equal(queued, true, 'navigator.sendBeacon() queued the beacon');

  // The page cannot read a beacon's response, so the account is polled.
  const answer = await waitForAccount(server, accountId, (body) => body.event_count >= 1);
  assert.equal(answer.status, 200, `GET /v1/accounts/${accountId}: ${answer.text}`);
  assert.equal(answer.body.event_count, 1, 'event_count');
  assert.deepEqual(answer.body.counts, { 'Message Sent': 1 }, 'counts');
  assert.deepEqual(answer.body.features_used, ['Messaging'], 'features_used');
});
