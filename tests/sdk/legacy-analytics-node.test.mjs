// analytics-node 6.2.0 (Segment's legacy Node.js SDK, built on axios) against
// uptake's Segment routes. It posts {"batch":[...],"timestamp","sentAt"} to
// `${host}/v1/batch` with Basic auth and no compression, and retries network
// errors, 5xx and 429 through axios-retry.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import Analytics from 'analytics-node';

import { assertAccount, totalOf } from './checks.mjs';
import { WRITE_KEY, startFailOnceProxy, startUptake, uniqueName, waitForAccount } from './server.mjs';

let server;

before(async () => {
  server = await startUptake();
});

after(async () => {
  await server?.stop();
});

// Creates a client that queues up to 50 calls, so one flush() sends one
// request. The automatic flush timer is long so only the test's flush() sends.
// The errorHandler keeps the SDK from rejecting the promise of its own
// first-call flush, which nothing awaits. Errors still reach each callback.
function createClient(host, { retryCount = 3, writeKey = WRITE_KEY } = {}) {
  return new Analytics(writeKey, {
    host,
    flushAt: 50,
    flushInterval: 60_000,
    retryCount,
    timeout: 5_000,
    errorHandler: () => {},
  });
}

// Calls one SDK method and resolves with the delivery error (null on
// success) that the SDK passes to the call's callback after its batch is sent.
function callAndWait(client, method, message) {
  return new Promise((resolve) => client[method](message, (error) => resolve(error ?? null)));
}

// Sends group, identify and tracks for one user through the SDK's API.
//
// The SDK sends the first call of a new client alone and at once, and the
// later calls in a second request. Two requests in flight may reach uptake in
// either order, and a track stored before the group call goes to the
// unattributed bucket. So the group call is awaited first, as an application
// that needs the account link must do with this SDK.
async function sendUsage(client, { userId, accountId }) {
  const groupError = await callAndWait(client, 'group', {
    userId,
    groupId: accountId,
    traits: { name: 'Acme', plan: 'pro' },
  });
  assert.equal(groupError, null, 'group call delivered');

  client.identify({ userId, traits: { email: `${userId}@example.com` } });
  client.track({ userId, event: 'Report Created', properties: { report: 'churn' } });
  client.track({ userId, event: 'Report Viewed', properties: { report: 'churn' } });
  client.track({ userId, event: 'Dashboard Viewed', context: { groupId: accountId } });
  client.track({ userId, event: 'Settings Opened' });
}

const EXPECTED_COUNTS = {
  'Dashboard Viewed': 1,
  'Report Created': 1,
  'Report Viewed': 1,
  'Settings Opened': 1,
  group: 1,
  identify: 1,
};

test('legacy: batch stored once per event', async () => {
  const accountId = uniqueName('legacy-acct');
  const userId = uniqueName('legacy-user');
  const client = createClient(server.baseUrl);

  await sendUsage(client, { userId, accountId });
  const sent = await client.flush();

  assert.equal(sent.batch.length, 5, 'events in the second batch');
  const answer = await server.account(accountId);
  assertAccount(answer, {
    accountId,
    eventCount: totalOf(EXPECTED_COUNTS),
    userCount: 1,
    counts: EXPECTED_COUNTS,
    features: ['Reports', 'Dashboards'],
  });
});

test('legacy: repeated messageId counted once', async () => {
  const accountId = uniqueName('legacy-dup-acct');
  const userId = uniqueName('legacy-dup-user');
  const messageId = uniqueName('legacy-dup-msg');

  for (let round = 0; round < 2; round++) {
    const client = createClient(server.baseUrl);
    const error = await callAndWait(client, 'track', {
      userId,
      event: 'Message Sent',
      messageId,
      context: { groupId: accountId },
    });
    assert.equal(error, null, `round ${round} delivered`);
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

test('legacy: retry after 503 counted once', async () => {
  const proxy = await startFailOnceProxy(server.baseUrl);
  try {
    const accountId = uniqueName('legacy-retry-acct');
    const userId = uniqueName('legacy-retry-user');
    const client = createClient(proxy.baseUrl);

    await sendUsage(client, { userId, accountId });
    await client.flush();

    const statuses = proxy.requests.map((request) => request.status);
    assert.deepEqual(statuses, [503, 200, 200], 'group 503 then resent 200, then the second batch 200');
    assert.equal(proxy.requests[1].url, '/v1/batch');

    const answer = await waitForAccount(server, accountId, (body) => body.event_count >= totalOf(EXPECTED_COUNTS));
    assertAccount(answer, {
      accountId,
      eventCount: totalOf(EXPECTED_COUNTS),
      userCount: 1,
      counts: EXPECTED_COUNTS,
      features: ['Reports', 'Dashboards'],
    });
  } finally {
    await proxy.stop();
  }
});

test('legacy: unknown write key rejected', async () => {
  const accountId = uniqueName('legacy-badkey-acct');
  const client = createClient(server.baseUrl, { retryCount: 0, writeKey: 'not-a-configured-key' });

  const error = await callAndWait(client, 'track', {
    userId: 'nobody',
    event: 'Report Viewed',
    context: { groupId: accountId },
  });
  assert.equal(error?.response?.status, 401, `delivery error: ${error}`);

  const answer = await server.account(accountId);
  assert.equal(answer.status, 404, `account of a rejected key exists: ${answer.text}`);
});
