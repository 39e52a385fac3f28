// metrics.test.mjs: a known mix of requests through the official SDK,
// for tests/integration/metrics.sh, which then asks Prometheus what it
// scraped.  Every answer's route, model and status, and the tokens
// each answer reports, are added to the tally in $TALLY (JSON), so the
// shell test compares Prometheus' figures with what the client saw,
// exactly, whatever status a failing upstream gave.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { client, keyA, rejection } from './common.mjs';

const file = process.env.TALLY;
const tally = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) :
    { requests: {}, tokens: {} };

function count(route, model, status) {
	const k = `${route}|${model}|${status}`;
	tally.requests[k] = (tally.requests[k] || 0) + 1;
}

function tokens(model, kind, n) {
	if (!n)
		return;
	const k = `${model}|${kind}`;
	tally.tokens[k] = (tally.tokens[k] || 0) + n;
}

const chat = '/v1/chat/completions';
const user = (s) => [{ role: 'user', content: s }];

async function plain(model, i) {
	const r = await client().chat.completions.create({ model,
	    messages: user(`count me ${i}`) });
	assert.equal(r.object, 'chat.completion');
	count(chat, model, 200);
	tokens(model, 'prompt', r.usage.prompt_tokens);
	tokens(model, 'completion', r.usage.completion_tokens);
}

async function streamed(model, i) {
	const s = await client().chat.completions.create({ model,
	    stream: true, stream_options: { include_usage: true },
	    messages: user(`stream me ${i}`) });
	let usage = null;
	for await (const ev of s)
		if (ev.usage)
			usage = ev.usage;
	assert.ok(usage, 'the stream ends with its usage');
	count(chat, model, 200);
	tokens(model, 'prompt', usage.prompt_tokens);
	tokens(model, 'completion', usage.completion_tokens);
}

async function embed(model, i) {
	const r = await client().embeddings.create({ model,
	    input: `embed me ${i}` });
	assert.equal(r.object, 'list');
	count('/v1/embeddings', model, 200);
	tokens(model, 'prompt', r.usage.prompt_tokens);
}

// A model whose upstream is down: 502 or 503 (set aside), as it comes.
async function down(model, i) {
	const err = await rejection(client().chat.completions.create({
	    model, messages: user(`fail me ${i}`) }));
	assert.ok(err.status === 502 || err.status === 503, String(err));
	count(chat, model, err.status);
}

async function unknownModel(i) {
	const err = await rejection(client().chat.completions.create({
	    model: `no-such-model-${i}`, messages: user('x') }));
	assert.equal(err.status, 404);
	count(chat, '', 404);
}

async function badKey() {
	const err = await rejection(client(keyA.slice(0, -4) + 'AAAA')
	    .models.list());
	assert.equal(err.status, 401);
	count('/v1/models', '', 401);
}

async function models() {
	const page = await client().models.list();
	assert.ok(page.data.length >= 3);
	count('/v1/models', '', 200);
}

test('the mix, eight at a time so that every worker takes some',
    async () => {
	const jobs = [];
	for (let i = 0; i < 12; i++)
		jobs.push(() => plain('m-ok', i));
	for (let i = 0; i < 4; i++)
		jobs.push(() => streamed('m-ok', i));
	for (let i = 0; i < 5; i++)
		jobs.push(() => plain('venna-1', i));
	for (let i = 0; i < 3; i++)
		jobs.push(() => embed('m-ok', i));
	for (let i = 0; i < 3; i++)
		jobs.push(() => down('m-down', i));
	for (let i = 0; i < 2; i++)
		jobs.push(() => unknownModel(i));
	for (let i = 0; i < 2; i++)
		jobs.push(() => badKey());
	for (let i = 0; i < 2; i++)
		jobs.push(() => models());
	for (let i = 0; i < jobs.length; i += 8)
		await Promise.all(jobs.slice(i, i + 8).map((f) => f()));
	writeFileSync(file, JSON.stringify(tally));
});
