// posthog-node 5.x against uptake's PostHog routes. The SDK posts
// {"api_key","batch":[...],"sent_at"} to `${host}/batch/`, gzipped with
// `Content-Encoding: gzip` unless disableCompression is set, and retries 408,
// 429 and 5xx. The account is properties.$groups.company, so the config sets
// `accounts.group_type: company`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PostHog } from 'posthog-node';

import { assertAccount, totalOf } from './checks.mjs';
import { WRITE_KEY, startFailOnceProxy, startUptake, uniqueName, waitForAccount } from './server.mjs';

const GROUP_TYPE = 'company';

let server;

before(async () => {
  server = await startUptake({
    extraYaml: `accounts: {group_type: ${GROUP_TYPE}, mixpanel_property: ${GROUP_TYPE}}`,
  });
});

after(async () => {
  await server?.stop();
});

// Creates a client that queues up to 50 events, so shutdown() sends one
// request, with short retry delays. Errors the SDK emits are collected.
function createClient(host, { disableCompression = false, apiKey = WRITE_KEY } = {}) {
  const client = new PostHog(apiKey, {
    host,
    flushAt: 50,
    flushInterval: 0,
    fetchRetryCount: 3,
    fetchRetryDelay: 100,
    requestTimeout: 5_000,
    disableCompression,
    disableGeoip: true,
  });
  const errors = [];
  client.on('error', (error) => errors.push(error));
  return { client, errors };
}

// Sends groupIdentify, identify and captures for one user through the SDK's API.
// groupIdentify names the user as distinctId, so it links the user to the account.
// The last capture carries no groups and relies on that link.
function sendUsage(client, { userId, accountId }) {
  client.groupIdentify({
    groupType: GROUP_TYPE,
    groupKey: accountId,
    distinctId: userId,
    properties: { name: 'Acme', plan: 'pro' },
  });
  client.identify({ distinctId: userId, properties: { email: `${userId}@example.com` } });
  client.capture({ distinctId: userId, event: 'Report Viewed', groups: { [GROUP_TYPE]: accountId } });
  client.capture({ distinctId: userId, event: 'Report Created', groups: { [GROUP_TYPE]: accountId } });
  client.capture({ distinctId: userId, event: 'Message Sent', groups: { [GROUP_TYPE]: accountId } });
  client.capture({ distinctId: userId, event: 'Search Used' });
}

// Event names as uptake stores them: $identify is an identify call and
// $groupidentify of the configured group type is a group call.
const EXPECTED_COUNTS = {
  'Message Sent': 1,
  'Report Created': 1,
  'Report Viewed': 1,
  'Search Used': 1,
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
    features: ['Reports', 'Messaging'],
  });
}

test('posthog: gzip batch stored once per event', async () => {
  // Through the proxy without a failure, to see the Content-Encoding the SDK sends.
  const proxy = await startFailOnceProxy(server.baseUrl, { failFirst: false });
  try {
    const accountId = uniqueName('ph-acct');
    const userId = uniqueName('ph-user');
    const { client, errors } = createClient(proxy.baseUrl);

    sendUsage(client, { userId, accountId });
    await client.shutdown(10_000);

    assert.deepEqual(errors, [], 'SDK emitted errors');
    assert.equal(proxy.requests.length, 1, 'SDK requests');
    assert.equal(proxy.requests[0].url, '/batch/');
    assert.equal(proxy.requests[0].contentEncoding, 'gzip', 'posthog-node 5 compresses by default');
    assert.equal(proxy.requests[0].status, 200, 'status of the batch request');

    await checkUsageStored(accountId);
  } finally {
    await proxy.stop();
  }
});

test('posthog: uncompressed batch stored', async () => {
  const accountId = uniqueName('ph-plain-acct');
  const userId = uniqueName('ph-plain-user');
  const { client, errors } = createClient(server.baseUrl, { disableCompression: true });

  sendUsage(client, { userId, accountId });
  await client.shutdown(10_000);

  assert.deepEqual(errors, [], 'SDK emitted errors');
  await checkUsageStored(accountId);
});

test('posthog: repeated uuid counted once', async () => {
  const accountId = uniqueName('ph-dup-acct');
  const userId = uniqueName('ph-dup-user');
  const uuid = crypto.randomUUID();

  for (let round = 0; round < 2; round++) {
    const { client, errors } = createClient(server.baseUrl);
    client.capture({ distinctId: userId, event: 'Dashboard Viewed', uuid, groups: { [GROUP_TYPE]: accountId } });
    await client.shutdown(10_000);
    assert.deepEqual(errors, [], `SDK emitted errors in round ${round}`);
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

test('posthog: retry after 503 counted once', async () => {
  const proxy = await startFailOnceProxy(server.baseUrl);
  try {
    const accountId = uniqueName('ph-retry-acct');
    const userId = uniqueName('ph-retry-user');
    const { client, errors } = createClient(proxy.baseUrl);

    sendUsage(client, { userId, accountId });
    await client.shutdown(20_000);

    assert.deepEqual(errors, [], 'SDK emitted errors');
    const statuses = proxy.requests.map((request) => request.status);
    assert.deepEqual(statuses, [503, 200], 'first attempt 503, the resend 200');
    assert.equal(proxy.requests[1].url, '/batch/');
    assert.equal(proxy.requests[1].contentEncoding, 'gzip', 'resend is gzipped too');

    await checkUsageStored(accountId);
  } finally {
    await proxy.stop();
  }
});

test('posthog: identify with $anon_distinct_id attributes the anonymous id', async () => {
  // posthog-js sends this $identify when a visitor signs in; the events it
  // sent before, and any still queued, carry the anonymous id.
  const accountId = uniqueName('ph-anon-acct');
  const userId = uniqueName('ph-anon-user');
  const anonymousId = uniqueName('ph-anon-device');
  const { client, errors } = createClient(server.baseUrl);

  client.groupIdentify({ groupType: GROUP_TYPE, groupKey: accountId, distinctId: userId });
  client.identify({ distinctId: userId, properties: { $anon_distinct_id: anonymousId } });
  client.capture({ distinctId: anonymousId, event: 'Report Viewed' });
  await client.shutdown(10_000);

  assert.deepEqual(errors, [], 'SDK emitted errors');
  const answer = await waitForAccount(server, accountId, (body) => body.event_count >= 3);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.event_count, 3, answer.text);
  assert.equal(answer.body.counts['Report Viewed'], 1, answer.text);
});

test('posthog: unknown api_key rejected', async () => {
  const accountId = uniqueName('ph-badkey-acct');
  const { client, errors } = createClient(server.baseUrl, { apiKey: 'not-a-configured-key' });

  client.capture({ distinctId: 'nobody', event: 'Report Viewed', groups: { [GROUP_TYPE]: accountId } });
  await client.shutdown(10_000);

  assert.equal(errors.length, 1, 'SDK emitted one error');
  assert.equal(errors[0].status, 401, `error: ${errors[0]}`);
  const answer = await server.account(accountId);
  assert.equal(answer.status, 404, `account of a rejected key exists: ${answer.text}`);
});
