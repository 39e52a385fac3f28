// chat_mock.test.mjs: the SDK against models served by the mock upstream
// (tests/mock), started by tests/integration/sdk_chat_mock.sh:
//   m-ok        upstream "ok" (the mock, with the right key), model
//               rewritten to "gpt-mock"
//   m-knobs     the same mock through upstream "knobs", for error knobs
//   m-slow      the same mock, first_byte_timeout 1s
//   m-fallback  a port where nothing listens, then "ok"
// Environment: BASE_URL, KEY_A, MOCK_URL, UPKEY (the upstream's key).
// The mock replies "mock reply to: <last user text>" and counts words.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OpenAI, assertChecked, client, drain, keyA, rejection } from
    './common.mjs';

const MOCK = process.env.MOCK_URL;
const UPKEY = process.env.UPKEY;
const user = (content) => [{ role: 'user', content }];
const nonce = () => 'n' + randomBytes(6).toString('hex');

// What the mock received for the request whose body holds marker.
async function received(marker) {
	const all = await (await fetch(`${MOCK}/_mock/requests`)).json();
	const hits = all.filter((r) => JSON.stringify(r.body).includes(marker));
	assert.equal(hits.length, 1, `the mock got one request with ${marker}`);
	const r = hits[0];
	r.header = (n) => r.headers.filter((h) =>
	    h.name.toLowerCase() === n.toLowerCase()).map((h) => h.value);
	return r;
}
const stats = async () => (await fetch(`${MOCK}/_mock/stats`)).json();


test('create on a mock-backed model: the reply, usage, model rewritten', async () => {
	const n = nonce();
	const text = `hello from the sdk ${n}`;
	const { data: r, response } = await client().chat.completions.create({
	    model: 'm-ok', messages: user(text) }).withResponse();
	assert.match(response.headers.get('x-request-id'), /^req_/);
	assert.equal(r.object, 'chat.completion');
	assert.equal(r.choices[0].message.content, `mock reply to: ${text}`);
	assert.equal(r.choices[0].finish_reason, 'stop');
	assert.deepEqual([r.usage.prompt_tokens, r.usage.completion_tokens,
	    r.usage.total_tokens], [5, 8, 13]);
	const got = await received(n);
	assert.equal(got.path, '/v1/chat/completions');
	assert.equal(got.body.model, 'gpt-mock');
	assert.deepEqual(got.body.messages, user(text));
});

test('unknown fields pass through; routing fields are dropped', async () => {
	const n = nonce();
	const body = { model: 'm-ok', messages: user(`fields ${n}`),
	    temperature: 0.5, seed: 7, user: 'end-user-1',
	    some_new_param: { list: [1, 'two', null, 3.25], flag: true },
	    api_base: 'http://attacker.example/v1', api_key: 'sk-client',
	    custom_llm_provider: 'x', extra_headers: { 'X-A': '1' } };
	await client().chat.completions.create(body);
	const got = await received(n);
	const want = { ...body, model: 'gpt-mock' };
	for (const k of ['api_base', 'api_key', 'custom_llm_provider',
	    'extra_headers'])
		delete want[k];
	assert.deepEqual(got.body, want);
});

test('the mock sees the configured key, never the client\'s headers', async () => {
	const n = nonce();
	await client().chat.completions.create({ model: 'm-ok',
	    messages: user(`auth ${n}`) }, { headers: {
	    'OpenAI-Organization': 'org-client', 'X-Client-Secret': 'shh' } });
	const got = await received(n);
	assert.deepEqual(got.header('authorization'), [`Bearer ${UPKEY}`]);
	for (const h of got.headers) {
		assert.ok(!h.value.includes(keyA), `${h.name} holds no client key`);
		assert.ok(!/^(x-stainless|openai-organization|x-client-secret)/i
		    .test(h.name), `${h.name} is not forwarded`);
	}
});

test('stream relayed from the mock: content exact, no usage for the client', async () => {
	const n = nonce();
	const text = `stream me ${n}`;
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user(text), stream: true, mock: { chunks: 6 } });
	const { chunks, content, finish } = await drain(stream);
	assert.equal(content[0], `mock reply to: ${text}`);
	assert.equal(finish[0], 'stop');
	assert.equal(chunks.filter((c) => c.choices[0]?.delta.content).length,
	    6);
	assert.ok(chunks.every((c) => !('usage' in c)),
	    'no usage key for a client that did not ask');
	const got = await received(n);
	assert.equal(got.body.stream, true);
	assert.deepEqual(got.body.stream_options, { include_usage: true });
	assert.deepEqual(got.header('accept'), ['text/event-stream']);
});

test('stream with include_usage: the upstream\'s usage chunk, last', async () => {
	const n = nonce();
	const text = `count my words ${n}`;
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user(text), stream: true,
	    stream_options: { include_usage: true },
	    mock: { chunks: 3, split: 1 } });
	const { chunks, content } = await drain(stream);
	assert.equal(content[0], `mock reply to: ${text}`);
	const last = chunks.at(-1);
	assert.deepEqual(last.choices, []);
	assert.deepEqual([last.usage.prompt_tokens, last.usage.completion_tokens,
	    last.usage.total_tokens], [4, 7, 11]);
	assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
	assert.equal(chunks.length, 1 + 3 + 1 + 1);
});

test('a large streamed reply arrives whole', async () => {
	const whole = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('big one'), mock: { bytes: 300000 } });
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('big one'), stream: true,
	    mock: { bytes: 300000, chunks: 9 } });
	const { content } = await drain(stream);
	assert.ok(whole.choices[0].message.content.length >= 290000);
	assert.equal(content[0], whole.choices[0].message.content);
});

test('tool calls from the mock, whole and streamed', async () => {
	const tools = [{ type: 'function', function: { name: 'search',
	    parameters: { type: 'object', properties: {} } } }];
	const r = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('find it'), tools, mock: { tool_calls: 1 } });
	assert.equal(r.choices[0].finish_reason, 'tool_calls');
	const call = r.choices[0].message.tool_calls[0];
	assert.equal(call.function.name, 'search');
	assert.deepEqual(JSON.parse(call.function.arguments),
	    { input: 'mock reply to: find it' });
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('find it'), tools, stream: true,
	    mock: { tool_calls: 1, chunks: 4 } });
	const { args, calls, finish } = await drain(stream);
	assert.equal(calls[0].name, 'search');
	assert.equal(args[0], call.function.arguments);
	assert.equal(finish[0], 'tool_calls');
});

test('embeddings through the mock', async () => {
	const n = nonce();
	const r = await client().embeddings.create({ model: 'm-ok',
	    input: [`a b ${n}`, 'c'], encoding_format: 'float' });
	assert.equal(r.data.length, 2);
	assert.equal(r.data[0].embedding.length, 8);
	assert.equal(r.usage.prompt_tokens, 4);
	const got = await received(n);
	assert.equal(got.path, '/v1/embeddings');
	assert.equal(got.body.model, 'gpt-mock');
	assert.deepEqual(got.body.input, [`a b ${n}`, 'c']);
});

test('failover: nothing listening, then the mock answers', async () => {
	const r = await client().chat.completions.create({ model: 'm-fallback',
	    messages: user('fall back') });
	assert.equal(r.choices[0].message.content, 'mock reply to: fall back');
	const s = await client().chat.completions.create({ model: 'm-fallback',
	    messages: user('fall back'), stream: true });
	assert.equal((await drain(s)).content[0], 'mock reply to: fall back');
});

test('upstream 400 passes through as BadRequestError with its message', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: 'm-ok', messages: user('x'), mock: { status: 400 } }));
	assert.ok(e instanceof OpenAI.BadRequestError);
	assert.equal(e.status, 400);
	assert.equal(e.error.message, 'The request is invalid (mock).');
	assert.equal(e.type, 'invalid_request_error');
});

test('upstream 500: InternalServerError 502 upstream_error', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: 'm-knobs', messages: user('x'), mock: { status: 500 } }));
	assert.ok(e instanceof OpenAI.InternalServerError);
	assert.equal(e.status, 502);
	assert.equal(e.code, 'upstream_error');
	assert.equal(e.type, 'server_error');
	assert.equal(e.param, null);
	assert.doesNotMatch(e.message, /mock|127\.0\.0\.1|http:|sk-/);
	assert.match(e.requestID, /^req_/);
});

test('upstream 401 is never shown: 502', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: 'm-knobs', messages: user('x'), mock: { status: 401 } }));
	assert.ok(e instanceof OpenAI.InternalServerError);
	assert.equal(e.status, 502);
	assert.equal(e.code, 'upstream_error');
	assert.doesNotMatch(e.message, /API key|mock/);
});

test('upstream 429 + Retry-After: InternalServerError 503 with Retry-After', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: 'm-knobs', messages: user('x'),
	    mock: { status: 429, retry_after: 1 } }));
	assert.ok(e instanceof OpenAI.InternalServerError);
	assert.equal(e.status, 503);
	assert.equal(e.code, 'service_unavailable');
	assert.equal(e.type, 'server_error');
	assert.equal(e.headers.get('retry-after'), '1');
	assert.doesNotMatch(e.message, /mock|Rate limit reached/);
});

test('an upstream that never answers: InternalServerError 504', async () => {
	const t0 = Date.now();
	const e = await rejection(client().chat.completions.create({
	    model: 'm-slow', messages: user('x'), mock: { never: 1 } }));
	const ms = Date.now() - t0;
	assert.ok(e instanceof OpenAI.InternalServerError);
	assert.equal(e.status, 504);
	assert.equal(e.code, 'upstream_timeout');
	assert.equal(e.type, 'server_error');
	assert.ok(ms >= 900 && ms < 15000, `answered after ${ms} ms`);
});

test('a stream cut mid-way: the SDK raises the in-band error', async () => {
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('cut this stream'), stream: true,
	    mock: { chunks: 5, cut: 2 } });
	let text = '';
	const e = await rejection((async () => {
		for await (const ch of stream)
			text += ch.choices[0]?.delta.content ?? '';
	})());
	assert.ok(e instanceof OpenAI.APIError);
	assert.equal(e.code, 'upstream_error');
	assert.equal(e.type, 'server_error');
	assert.ok(text.length > 0 &&
	    'mock reply to: cut this stream'.startsWith(text) &&
	    text !== 'mock reply to: cut this stream', `got "${text}"`);
});

test('aborting a stream in the SDK aborts the upstream transfer', async () => {
	const before = (await stats()).aborted;
	const stream = await client().chat.completions.create({ model: 'm-ok',
	    messages: user('slow stream'), stream: true,
	    mock: { chunks: 60, interval: 100 } });
	let n = 0;
	for await (const ch of stream) {
		if (ch.choices[0]?.delta.content && ++n === 3)
			break;	// ends the stream: the SDK aborts the request
	}
	const t0 = Date.now();
	let s;
	do {
		await new Promise((r) => setTimeout(r, 100));
		s = await stats();
	} while (s.aborted === before && Date.now() - t0 < 5000);
	assert.equal(s.aborted, before + 1, 'the mock saw the abort');
	assert.ok(Date.now() - t0 < 4500, 'well before the stream would end');
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['createChatCompletion 200',
	    'createChatCompletion 200 stream', 'createEmbedding 200',
	    'createChatCompletion 400', 'createChatCompletion 502',
	    'createChatCompletion 503', 'createChatCompletion 504']);
});
