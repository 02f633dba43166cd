// @segment/analytics-node (the current Segment SDK for Node.js) against uptake's
// Segment routes. The SDK posts {"batch":[...],"writeKey","sentAt"} to
// `${host}/v1/batch` with Basic auth, and sends no compressed bodies.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Analytics } from '@segment/analytics-node';

import { assertAccount, totalOf } from './checks.mjs';
import { WRITE_KEY, startFailOnceProxy, startUptake, uniqueName, waitForAccount } from './server.mjs';

let server;

before(async () => {
  server = await startUptake();
});

after(async () => {
  await server?.stop();
});

// Creates a client that batches up to 50 calls, so closeAndFlush sends one
// request, and records each response status and delivery error.
function createClient(host, { maxRetries = 3 } = {}) {
  const client = new Analytics({
    writeKey: WRITE_KEY,
    host,
    flushAt: 50,
    flushInterval: 200,
    maxRetries,
    httpRequestTimeout: 5_000,
  });
  const statuses = [];
  const errors = [];
  client.on('http_response', (response) => statuses.push(response.status));
  client.on('error', (error) => errors.push(error));
  return { client, statuses, errors };
}

// Sends group, identify and tracks for one user through the SDK's API.
function sendUsage(client, { userId, accountId }) {
  client.group({ userId, groupId: accountId, traits: { name: 'Acme', plan: 'pro' } });
  client.identify({ userId, traits: { email: `${userId}@example.com` } });
  client.track({ userId, event: 'Report Viewed', properties: { report: 'churn' } });
  client.track({ userId, event: 'Report Viewed', properties: { report: 'usage' } });
  client.track({ userId, event: 'Message Sent', context: { groupId: accountId } });
  client.track({ userId, event: 'Export Clicked' });
}

const EXPECTED_COUNTS = {
  'Export Clicked': 1,
  'Message Sent': 1,
  'Report Viewed': 2,
  group: 1,
  identify: 1,
};

test('segment: batch stored once per event', async () => {
  const accountId = uniqueName('seg-acct');
  const userId = uniqueName('seg-user');
  const { client, statuses, errors } = createClient(server.baseUrl);

  sendUsage(client, { userId, accountId });
  await client.closeAndFlush({ timeout: 10_000 });

  assert.deepEqual(errors, [], 'SDK reported delivery errors');
  assert.deepEqual(statuses, [200], 'one batch request answered 200');

  const answer = await server.account(accountId);
  assertAccount(answer, {
    accountId,
    eventCount: totalOf(EXPECTED_COUNTS),
    userCount: 1,
    counts: EXPECTED_COUNTS,
    features: ['Reports', 'Messaging'],
  });
});

test('segment: repeated messageId counted once', async () => {
  const accountId = uniqueName('seg-dup-acct');
  const userId = uniqueName('seg-dup-user');
  const messageId = uniqueName('seg-dup-msg');

  for (let round = 0; round < 2; round++) {
    const { client, statuses, errors } = createClient(server.baseUrl);
    client.track({ userId, event: 'Dashboard Viewed', messageId, context: { groupId: accountId } });
    await client.closeAndFlush({ timeout: 10_000 });
    assert.deepEqual(errors, [], `SDK reported delivery errors in round ${round}`);
    assert.deepEqual(statuses, [200], `round ${round} answered 200`);
  }

  const answer = await server.account(accountId);
  assertAccount(answer, {
    accountId,
    eventCount: 1,
    userCount: 1,
    counts: { 'Dashboard Viewed': 1 },
    features: ['Dashboards'],
  });
});

test('segment: retry after 503 counted once', async () => {
  const proxy = await startFailOnceProxy(server.baseUrl);
  try {
    const accountId = uniqueName('seg-retry-acct');
    const userId = uniqueName('seg-retry-user');
    const { client, statuses, errors } = createClient(proxy.baseUrl);

    sendUsage(client, { userId, accountId });
    await client.closeAndFlush({ timeout: 20_000 });

    assert.deepEqual(errors, [], 'SDK reported delivery errors');
    assert.deepEqual(statuses, [503, 200], 'first attempt 503, the resend 200');
    assert.equal(proxy.requests.length, 2, 'requests seen by the proxy');
    assert.equal(proxy.requests[0].url, proxy.requests[1].url, 'resend goes to the same path');
    assert.equal(proxy.requests[1].url, '/v1/batch');

    const answer = await waitForAccount(server, accountId, (body) => body.event_count >= totalOf(EXPECTED_COUNTS));
    assertAccount(answer, {
      accountId,
      eventCount: totalOf(EXPECTED_COUNTS),
      userCount: 1,
      counts: EXPECTED_COUNTS,
      features: ['Reports', 'Messaging'],
    });
  } finally {
    await proxy.stop();
  }
});

test('segment: unknown write key rejected', async () => {
  const accountId = uniqueName('seg-badkey-acct');
  const client = new Analytics({
    writeKey: 'not-a-configured-key',
    host: server.baseUrl,
    flushAt: 50,
    flushInterval: 200,
    maxRetries: 0,
    httpRequestTimeout: 5_000,
  });
  const statuses = [];
  client.on('http_response', (response) => statuses.push(response.status));
  client.on('error', () => {});

  client.track({ userId: 'nobody', event: 'Report Viewed', context: { groupId: accountId } });
  await client.closeAndFlush({ timeout: 10_000 });

  assert.deepEqual(statuses, [401], 'unknown key answered 401');
  const answer = await server.account(accountId);
  assert.equal(answer.status, 404, `account of a rejected key exists: ${answer.text}`);
});
