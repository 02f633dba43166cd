// Assertions on the JSON of GET /v1/accounts/{id}, one assert per figure so a
// failure names the figure that is wrong.

import assert from 'node:assert/strict';

// Checks an account response against the expected figures. `counts` lists every
// event name the account must have, with its exact count, and no other names.
// `features` lists the catalog features the account used, in any order.
export function assertAccount(answer, { accountId, eventCount, userCount, counts, features }) {
  assert.equal(answer.status, 200, `GET /v1/accounts/${accountId} returned ${answer.status}: ${answer.text}`);

  const body = answer.body;
  assert.equal(body.account_id, accountId, 'account_id');
  assert.deepEqual(body.counts, counts, `counts of ${accountId}`);
  assert.equal(body.event_count, eventCount, `event_count of ${accountId}`);
  if (userCount !== undefined) {
    assert.equal(body.user_count, userCount, `user_count of ${accountId}`);
  }
  assert.deepEqual([...body.features_used].sort(), [...features].sort(), `features_used of ${accountId}`);
}

// Sums the values of an expected `counts` map, which is the expected event_count.
export function totalOf(counts) {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
