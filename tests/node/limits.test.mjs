// limits.test.mjs: limits as the official SDK sees them (behind nginx,
// tests/integration/sdk_limits.sh): a model with 5 requests a minute
// answers the sixth with RateLimitError carrying OpenAI's
// x-ratelimit-* headers and Retry-After; admitted answers carry the
// headers too; a spent quota is RateLimitError with insufficient_quota;
// a model denied to the workspace is NotFoundError and absent from
// models.list().
import test from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, client, keyB, rejection } from './common.mjs';

const user = (content) => [{ role: 'user', content }];

test('a requests-per-minute limit: headers, then RateLimitError', async () => {
	const c = client();
	const seen = [];
	for (let i = 0; i < 5; i++) {
		const { data, response } = await c.chat.completions.create({
		    model: 'm-rpm5', messages: user(`hi ${i}`) }).withResponse();
		assert.equal(data.object, 'chat.completion');
		assert.equal(response.headers.get('x-ratelimit-limit-requests'),
		    '5');
		seen.push(Number(response.headers.get(
		    'x-ratelimit-remaining-requests')));
		assert.match(response.headers.get('x-ratelimit-reset-requests'),
		    /^(\d+ms|\d+(\.\d+)?s|\d+m\d+s)$/);
		assert.ok(Number(response.headers.get(
		    'x-ratelimit-limit-tokens')) === 100000);
		assert.ok(response.headers.get('x-ratelimit-remaining-tokens')
		    !== null);
		assert.ok(response.headers.get('x-ratelimit-reset-tokens')
		    !== null);
	}
	assert.deepEqual(seen, [4, 3, 2, 1, 0]);
	const err = await rejection(c.chat.completions.create({
	    model: 'm-rpm5', messages: user('one too many') }));
	assert.ok(err instanceof OpenAI.RateLimitError, String(err));
	assert.equal(err.status, 429);
	assert.equal(err.code, 'rate_limit_exceeded');
	assert.equal(err.type, 'requests');
	assert.match(err.message, /Rate limit reached for m-rpm5 .* on requests per min \(RPM\): Limit 5, Used 5, Requested 1\. Please try again in \d+s\./);
	assert.ok(Number(err.headers.get('retry-after')) >= 1);
	assert.equal(err.headers.get('x-ratelimit-limit-requests'), '5');
	assert.equal(err.headers.get('x-ratelimit-remaining-requests'), '0');
	assert.ok(err.headers.get('x-ratelimit-reset-requests') !== null);
});

test('a stream carries the headers too', async () => {
	const { data, response } = await client().chat.completions.create({
	    model: 'm-tpm', stream: true, max_tokens: 10,
	    messages: user('a b c') }).withResponse();
	for await (const _ of data)
		;
	assert.equal(response.headers.get('x-ratelimit-limit-tokens'),
	    '100000');
	assert.equal(response.headers.get('x-ratelimit-limit-requests'),
	    null, 'no requests limit on m-tpm: no header for it');
});

test('a spent quota: RateLimitError insufficient_quota, no retry', async () => {
	const c = client(keyB);
	let err;
	for (let i = 0; i < 50 && !err; i++) {
		try {
			await c.chat.completions.create({ model: 'm-priced',
			    max_tokens: 16, messages: user('spend') });
		} catch (e) {
			err = e;
		}
	}
	assert.ok(err instanceof OpenAI.RateLimitError, String(err));
	assert.equal(err.code, 'insufficient_quota');
	assert.equal(err.type, 'insufficient_quota');
	assert.match(err.message, /spend limit of \$0\.10/);
	assert.equal(err.headers.get('x-should-retry'), 'false');
});
