// @amplitude/analytics-node 1.x against uptake's Amplitude HTTP V2 routes.
// The SDK posts {"api_key","events":[...],"options"} to its serverUrl as
// uncompressed JSON: its Node.js transport ignores enableRequestBodyCompression.
// It reads the result from the `code` field of the JSON response, not from the
// HTTP status, and retries any response that is not a success. The account is
// groups.company, so the config sets `accounts.group_type: company`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Identify, createInstance } from '@amplitude/analytics-node';

import { assertAccount, totalOf } from './checks.mjs';
import { WRITE_KEY, startFailOnceProxy, startUptake, uniqueName, waitForAccount } from './server.mjs';

const GROUP_TYPE = 'company';

// Amplitude's LogLevel.None. The SDK logs each failed attempt at Warn otherwise.
const LOG_LEVEL_NONE = 0;

let server;

before(async () => {
  server = await startUptake({
    extraYaml: `accounts: {group_type: ${GROUP_TYPE}, mixpanel_property: ${GROUP_TYPE}}`,
  });
});

after(async () => {
  await server?.stop();
});

// Creates and initializes a client that sends to `serverUrl`, queues up to 50
// events, and waits 1 s (the SDK's fixed step) between retries.
async function createClient(serverUrl, { apiKey = WRITE_KEY } = {}) {
  const client = createInstance();
  await client.init(apiKey, {
    serverUrl,
    flushQueueSize: 50,
    flushIntervalMillis: 200,
    flushMaxRetries: 3,
    logLevel: LOG_LEVEL_NONE,
    requestTimeoutMillis: 5_000,
  }).promise;
  return client;
}

// Sends groupIdentify, identify and tracks for one user through the SDK's API,
// and resolves with each call's result ({code, message, event}). The last
// track carries no groups and relies on the user's link to the account.
//
// flushNow calls client.flush(), which sends at once but never retries: the
// SDK's flush(useRetry = false). Without it the 200 ms flush timer sends, and
// that path retries.
async function sendUsage(client, { userId, accountId, flushNow = true }) {
  const options = { user_id: userId };
  const groups = { [GROUP_TYPE]: accountId };
  const calls = [
    client.groupIdentify(GROUP_TYPE, accountId, new Identify().set('plan', 'pro'), options),
    client.identify(new Identify().set('email', `${userId}@example.com`), options),
    client.track({ event_type: 'Report Viewed', groups }, undefined, options),
    client.track({ event_type: 'Report Viewed', groups }, undefined, options),
    client.track({ event_type: 'Dashboard Viewed', groups }, undefined, options),
    client.track({ event_type: 'Billing Opened' }, undefined, options),
  ];
  if (flushNow) client.flush();
  return Promise.all(calls.map((call) => call.promise));
}

// Event names as uptake stores them: $identify is an identify call and
// $groupidentify of the configured group type is a group call.
const EXPECTED_COUNTS = {
  'Billing Opened': 1,
  'Dashboard Viewed': 1,
  'Report Viewed': 2,
  group: 1,
  identify: 1,
};

async function checkUsageStored(accountId) {
  const answer = await waitForAccount(server, accountId, (body) => body.event_count >= totalOf(EXPECTED_COUNTS));
  assertAccount(answer, {
    accountId,
    eventCount: totalOf(EXPECTED_COUNTS),
    userCount: 1,
    counts: EXPECTED_COUNTS,
    features: ['Reports', 'Dashboards'],
  });
}

function assertAllDelivered(results) {
  for (const [index, result] of results.entries()) {
    assert.equal(result.code, 200, `call ${index} (${result.event?.event_type}): ${result.message}`);
  }
}

for (const route of ['/2/httpapi', '/batch']) {
  test(`amplitude: ${route} stored once per event`, async () => {
    const accountId = uniqueName('amp-acct');
    const userId = uniqueName('amp-user');
    const client = await createClient(`${server.baseUrl}${route}`);

    const results = await sendUsage(client, { userId, accountId });

    assertAllDelivered(results);
    await checkUsageStored(accountId);
  });
}

test('amplitude: repeated insert_id counted once', async () => {
  const accountId = uniqueName('amp-dup-acct');
  const userId = uniqueName('amp-dup-user');
  const insertId = uniqueName('amp-dup-insert');

  for (let round = 0; round < 2; round++) {
    const client = await createClient(`${server.baseUrl}/2/httpapi`);
    const call = client.track(
      { event_type: 'Message Sent', groups: { [GROUP_TYPE]: accountId } },
      undefined,
      { user_id: userId, insert_id: insertId },
    );
    client.flush();
    const result = await call.promise;
    assert.equal(result.code, 200, `round ${round}: ${result.message}`);
  }

  const answer = await server.account(accountId);
  assertAccount(answer, {
    accountId,
    eventCount: 1,
    userCount: 1,
    counts: { 'Message Sent': 1 },
    features: ['Messaging'],
  });
});

test('amplitude: retry after 503 counted once', async () => {
  const proxy = await startFailOnceProxy(server.baseUrl);
  try {
    const accountId = uniqueName('amp-retry-acct');
    const userId = uniqueName('amp-retry-user');
    const client = await createClient(`${proxy.baseUrl}/2/httpapi`);

    const results = await sendUsage(client, { userId, accountId, flushNow: false });

    assertAllDelivered(results);
    const statuses = proxy.requests.map((request) => request.status);
    assert.deepEqual(statuses, [503, 200], 'first attempt 503, the resend 200');
    assert.equal(proxy.requests[1].url, '/2/httpapi');
    assert.equal(proxy.requests[1].contentEncoding, null, 'the Node.js transport sends no Content-Encoding');

    await checkUsageStored(accountId);
  } finally {
    await proxy.stop();
  }
});

test('amplitude: unknown api_key rejected', async () => {
  const accountId = uniqueName('amp-badkey-acct');
  const client = await createClient(`${server.baseUrl}/2/httpapi`, { apiKey: 'not-a-configured-key' });

  const call = client.track(
    { event_type: 'Report Viewed', groups: { [GROUP_TYPE]: accountId } },
    undefined,
    { user_id: 'nobody-at-all' },
  );
  client.flush();
  const result = await call.promise;

  assert.equal(result.code, 401, `result: ${result.message}`);
  const answer = await server.account(accountId);
  assert.equal(answer.status, 404, `account of a rejected key exists: ${answer.text}`);
});
