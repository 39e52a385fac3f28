// chat.test.mjs: chat completions and embeddings on the built-in echo
// model ("venna-1") as the official SDK sees them.  The echo model is
// deterministic: the reply repeats the last user message, a token is a
// whitespace-separated word, a stream sends one word per chunk.
import test from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, assertChecked, client, drain, keyA, rejection } from
    './common.mjs';

const MODEL = 'venna-1';
const user = (content) => [{ role: 'user', content }];
const words = (s) => s.split(/\s+/).filter(Boolean).length;

const TOOLS = [
	{ type: 'function', function: { name: 'lookup', description: 'Find',
	    parameters: { type: 'object', properties: {
	    input: { type: 'string' } } } } },
	{ type: 'function', function: { name: 'other',
	    parameters: { type: 'object', properties: {} } } },
];


test('chat.completions.create: the echo, its shape and its usage', async () => {
	const text = 'Hello from the official SDK';
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: [{ role: 'system', content: 'You are terse.' },
	    ...user(text)] });
	assert.match(r.id, /^chatcmpl-[A-Za-z0-9]+$/);
	assert.equal(r.object, 'chat.completion');
	assert.equal(r.model, MODEL);
	assert.equal(typeof r.created, 'number');
	assert.ok(Math.abs(r.created - Date.now() / 1000) < 600,
	    'created is now');
	assert.equal(r.choices.length, 1);
	assert.equal(r.choices[0].index, 0);
	assert.equal(r.choices[0].message.role, 'assistant');
	assert.equal(r.choices[0].message.content, text);
	assert.equal(r.choices[0].message.refusal, null);
	assert.equal(r.choices[0].finish_reason, 'stop');
	assert.equal(r.usage.prompt_tokens, 8);	// 3 system + 5 user words
	assert.equal(r.usage.completion_tokens, 5);
	assert.equal(r.usage.total_tokens, 13);
});

test('withResponse() gives the x-request-id, also as _request_id', async () => {
	const { data, response } = await client().chat.completions.create({
	    model: MODEL, messages: user('ping') }).withResponse();
	assert.equal(response.status, 200);
	const rid = response.headers.get('x-request-id');
	assert.match(rid, /^req_[A-Za-z0-9]+$/);
	assert.equal(data._request_id, rid);
	assert.equal(data.choices[0].message.content, 'ping');
	assert.match(response.headers.get('content-type'), /^application\/json/);
});

test('two requests get two distinct ids', async () => {
	const c = client();
	const [a, b] = await Promise.all([
	    c.chat.completions.create({ model: MODEL, messages: user('a') })
	    .withResponse(),
	    c.chat.completions.create({ model: MODEL, messages: user('b') })
	    .withResponse()]);
	assert.notEqual(a.data.id, b.data.id);
	assert.notEqual(a.response.headers.get('x-request-id'),
	    b.response.headers.get('x-request-id'));
	assert.equal(a.data.choices[0].message.content, 'a');
	assert.equal(b.data.choices[0].message.content, 'b');
});

test('unicode and JSON-special text round-trips exactly', async () => {
	const text = 'héllo "wörld" \\ / 😀 日本語\ttab\nnewline <b>&amp;</b>';
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user(text) });
	assert.equal(r.choices[0].message.content, text);
	assert.equal(r.usage.completion_tokens, words(text));
});

test('the last user message is echoed; text parts are joined', async () => {
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: [
		{ role: 'user', content: 'first question' },
		{ role: 'assistant', content: 'first answer' },
		{ role: 'user', content: [
		    { type: 'text', text: 'part one' },
		    { type: 'text', text: 'part two' }] },
	    ] });
	assert.equal(r.choices[0].message.content, 'part one part two');
	assert.equal(r.usage.prompt_tokens, 8);	// 2 + 2 + 4 words
	assert.equal(r.usage.completion_tokens, 4);
});

// echo.c: "other parts (images, audio, files) count as one token each".
test('an image part of a user message counts as one prompt token', async () => {
	const image = { type: 'image_url', image_url: {
	    url: 'data:image/png;base64,iVBORw0KGgo=' } };
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: [{ role: 'user', content: [
		{ type: 'text', text: 'what is this' }, image] }] });
	assert.equal(r.choices[0].message.content, 'what is this');
	assert.equal(r.usage.prompt_tokens, 3 + 1);
	// the same part in a system message counts the same
	const s = await client().chat.completions.create({ model: MODEL,
	    messages: [{ role: 'system', content: [
		{ type: 'text', text: 'what is this' }, image] },
		{ role: 'user', content: 'x' }] });
	assert.equal(s.usage.prompt_tokens, 3 + 1 + 1);
});

// JSON strings may hold U+0000; the reply repeats the whole text.
test('a NUL character in the text is echoed, not a terminator', async () => {
	const text = 'before \u0000 after';
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user(text) });
	assert.equal(r.choices[0].message.content, text);
	assert.equal(r.usage.completion_tokens, 3);
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user(text), stream: true });
	assert.equal((await drain(stream)).content[0], text);
});

test('stream: one chunk per word, reassembled exactly, no usage', async () => {
	const text = 'the quick brown fox jumps';
	const { data: stream, response } = await client().chat.completions
	    .create({ model: MODEL, messages: user(text), stream: true })
	    .withResponse();
	assert.match(response.headers.get('content-type'),
	    /^text\/event-stream/);
	assert.match(response.headers.get('x-request-id'), /^req_/);
	const { chunks, content, finish } = await drain(stream);
	assert.equal(content[0], text);
	assert.equal(finish[0], 'stop');
	// a role chunk, 5 word chunks, a finish chunk
	assert.equal(chunks.length, 7);
	assert.deepEqual(chunks[0].choices[0].delta.role, 'assistant');
	assert.deepEqual(chunks.slice(1, 6).map((c) =>
	    c.choices[0].delta.content),
	    ['the ', 'quick ', 'brown ', 'fox ', 'jumps']);
	assert.deepEqual(chunks[6].choices[0].delta, {});
	const ids = new Set(chunks.map((c) => c.id));
	assert.equal(ids.size, 1);
	assert.match([...ids][0], /^chatcmpl-/);
	for (const c of chunks) {
		assert.equal(c.object, 'chat.completion.chunk');
		assert.equal(c.model, MODEL);
		assert.ok(!('usage' in c), 'no usage key without include_usage');
	}
});

test('stream with include_usage: usage null on each chunk, then the usage chunk', async () => {
	const text = 'count these four words';
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user(text), stream: true,
	    stream_options: { include_usage: true } });
	const { chunks, content } = await drain(stream);
	assert.equal(content[0], text);
	const last = chunks.at(-1);
	assert.deepEqual(last.choices, []);
	assert.deepEqual([last.usage.prompt_tokens, last.usage.completion_tokens,
	    last.usage.total_tokens], [4, 4, 8]);
	assert.equal(chunks.length, 1 + 4 + 1 + 1);
	for (const c of chunks.slice(0, -1))
		assert.equal(c.usage, null);
});

test('stream with include_usage false: no usage chunk', async () => {
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user('two words'), stream: true,
	    stream_options: { include_usage: false } });
	const { chunks, content } = await drain(stream);
	assert.equal(content[0], 'two words');
	assert.equal(chunks.length, 4);
	assert.ok(chunks.every((c) => !('usage' in c)));
});

test('chat.completions.stream() helper: the final completion', async () => {
	const runner = client().chat.completions.stream({ model: MODEL,
	    messages: user('assembled by the helper') });
	const deltas = [];
	runner.on('content', (d) => deltas.push(d));
	const final = await runner.finalChatCompletion();
	assert.equal(final.choices[0].message.content, 'assembled by the helper');
	assert.equal(final.choices[0].finish_reason, 'stop');
	assert.deepEqual(deltas, ['assembled ', 'by ', 'the ', 'helper']);
});

test('tool calls: the first tool is called with {"input": text}', async () => {
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user('find the cat'), tools: TOOLS });
	const m = r.choices[0].message;
	assert.equal(r.choices[0].finish_reason, 'tool_calls');
	assert.equal(m.content, null);
	assert.equal(m.tool_calls.length, 1);
	assert.match(m.tool_calls[0].id, /^call_[A-Za-z0-9]+$/);
	assert.equal(m.tool_calls[0].type, 'function');
	assert.equal(m.tool_calls[0].function.name, 'lookup');
	assert.equal(m.tool_calls[0].function.arguments,
	    '{"input":"find the cat"}');
	assert.equal(r.usage.completion_tokens, 3);
});

test('tool_choice names the tool; "none" means no call', async () => {
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user('use the other one'), tools: TOOLS,
	    tool_choice: { type: 'function', function: { name: 'other' } } });
	assert.equal(r.choices[0].message.tool_calls[0].function.name, 'other');
	assert.deepEqual(JSON.parse(
	    r.choices[0].message.tool_calls[0].function.arguments),
	    { input: 'use the other one' });
	const n = await client().chat.completions.create({ model: MODEL,
	    messages: user('just talk'), tools: TOOLS, tool_choice: 'none' });
	assert.equal(n.choices[0].message.content, 'just talk');
	assert.equal(n.choices[0].message.tool_calls, undefined);
	assert.equal(n.choices[0].finish_reason, 'stop');
});

test('a tool result is answered "Tool result: <text>"', async () => {
	const first = await client().chat.completions.create({ model: MODEL,
	    messages: user('weather in Paris'), tools: TOOLS });
	const call = first.choices[0].message.tool_calls[0];
	const r = await client().chat.completions.create({ model: MODEL,
	    tools: TOOLS, messages: [
		...user('weather in Paris'),
		first.choices[0].message,
		{ role: 'tool', tool_call_id: call.id,
		    content: 'sunny and warm' },
	    ] });
	assert.equal(r.choices[0].message.content, 'Tool result: sunny and warm');
	assert.equal(r.choices[0].finish_reason, 'stop');
	assert.equal(r.usage.completion_tokens, 5);
});

test('streamed tool call: id and name first, argument deltas reassemble', async () => {
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user('find the cat'), tools: TOOLS, stream: true });
	const { chunks, args, calls, finish, content } = await drain(stream);
	assert.equal(args[0], '{"input":"find the cat"}');
	assert.deepEqual(JSON.parse(args[0]), { input: 'find the cat' });
	assert.equal(calls[0].name, 'lookup');
	assert.equal(calls[0].type, 'function');
	assert.match(calls[0].id, /^call_/);
	assert.equal(finish[0], 'tool_calls');
	assert.equal(content[0] ?? '', '');
	const argChunks = chunks.filter((c) =>
	    c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments);
	assert.equal(argChunks.length, 3, 'one argument piece per word');
});

test('n = 2: two identical choices, usage counts both', async () => {
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user('say it twice'), n: 2 });
	assert.deepEqual(r.choices.map((c) => [c.index, c.message.content,
	    c.finish_reason]), [[0, 'say it twice', 'stop'],
	    [1, 'say it twice', 'stop']]);
	assert.deepEqual([r.usage.prompt_tokens, r.usage.completion_tokens,
	    r.usage.total_tokens], [3, 6, 9]);
});

test('n = 2 streamed: each choice reassembles', async () => {
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user('two streams here'), n: 2, stream: true,
	    stream_options: { include_usage: true } });
	const { chunks, content, finish } = await drain(stream);
	assert.deepEqual(content, { 0: 'two streams here',
	    1: 'two streams here' });
	assert.deepEqual(finish, { 0: 'stop', 1: 'stop' });
	assert.equal(chunks.at(-1).usage.completion_tokens, 6);
});

test('max_completion_tokens truncates with finish_reason "length"', async () => {
	const r = await client().chat.completions.create({ model: MODEL,
	    messages: user('one two three four five'),
	    max_completion_tokens: 2 });
	assert.equal(r.choices[0].message.content, 'one two');
	assert.equal(r.choices[0].finish_reason, 'length');
	assert.equal(r.usage.completion_tokens, 2);
	const m = await client().chat.completions.create({ model: MODEL,
	    messages: user('one two three four five'), max_tokens: 3 });
	assert.equal(m.choices[0].message.content, 'one two three');
	assert.equal(m.choices[0].finish_reason, 'length');
	const big = await client().chat.completions.create({ model: MODEL,
	    messages: user('one two'), max_completion_tokens: 5 });
	assert.equal(big.choices[0].message.content, 'one two');
	assert.equal(big.choices[0].finish_reason, 'stop');
});

test('max_completion_tokens on a stream', async () => {
	const stream = await client().chat.completions.create({ model: MODEL,
	    messages: user('one two three four five'),
	    max_completion_tokens: 3, stream: true,
	    stream_options: { include_usage: true } });
	const { chunks, content, finish } = await drain(stream);
	assert.equal(content[0], 'one two three');
	assert.equal(finish[0], 'length');
	assert.equal(chunks.at(-1).usage.completion_tokens, 3);
});

test('embeddings.create: dimensions, determinism, usage', async () => {
	const c = client();
	const r = await c.embeddings.create({ model: MODEL,
	    input: ['the cat sat', 'the dog ran', 'the cat sat'],
	    dimensions: 16, encoding_format: 'float' });
	assert.equal(r.object, 'list');
	assert.equal(r.model, MODEL);
	assert.equal(r.data.length, 3);
	r.data.forEach((d, i) => {
		assert.equal(d.object, 'embedding');
		assert.equal(d.index, i);
		assert.equal(d.embedding.length, 16);
		assert.ok(d.embedding.every((x) => typeof x === 'number' &&
		    x >= -1 && x <= 1));
	});
	assert.deepEqual(r.data[0].embedding, r.data[2].embedding);
	assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding);
	assert.deepEqual([r.usage.prompt_tokens, r.usage.total_tokens], [9, 9]);
	const again = await c.embeddings.create({ model: MODEL,
	    input: 'the cat sat', dimensions: 16, encoding_format: 'float' });
	assert.deepEqual(again.data[0].embedding, r.data[0].embedding);
	const dflt = await c.embeddings.create({ model: MODEL,
	    input: 'the cat sat', encoding_format: 'float' });
	assert.equal(dflt.data[0].embedding.length, 8);
});

// An array of integers is one tokenized input (the OpenAI API): one
// vector; an array of token arrays is one input each.
test('embeddings of token arrays: one vector per input', async () => {
	const one = await client().embeddings.create({ model: MODEL,
	    input: [101, 102, 103], encoding_format: 'float' });
	assert.equal(one.data.length, 1);
	assert.equal(one.usage.prompt_tokens, 3);
	const two = await client().embeddings.create({ model: MODEL,
	    input: [[101, 102, 103], [7]], encoding_format: 'float' });
	assert.equal(two.data.length, 2);
	assert.equal(two.usage.prompt_tokens, 4);
	assert.deepEqual(two.data[0].embedding, one.data[0].embedding);
});

// The SDK asks for encoding_format "base64" unless told otherwise and
// decodes the answer as little-endian float32: the plain call must give
// the same vector as encoding_format "float" (to float32 precision).
test('embeddings.create with the SDK default encoding (base64)', async () => {
	const c = client();
	const float = await c.embeddings.create({ model: MODEL,
	    input: 'the cat sat', encoding_format: 'float' });
	const plain = await c.embeddings.create({ model: MODEL,
	    input: 'the cat sat' });
	assert.equal(plain.data[0].embedding.length, 8);
	assert.deepEqual(plain.data[0].embedding,
	    float.data[0].embedding.map((x) => Math.fround(x)));
});

test('an unknown model is NotFoundError model_not_found', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: 'no-such-model', messages: user('hi') }));
	assert.ok(e instanceof OpenAI.NotFoundError);
	assert.equal(e.status, 404);
	assert.equal(e.code, 'model_not_found');
	assert.equal(e.param, 'model');
	assert.equal(e.type, 'invalid_request_error');
	assert.match(e.requestID, /^req_/);
	assert.match(e.message, /no-such-model/);
	const s = await rejection(client().chat.completions.create({
	    model: 'no-such-model', messages: user('hi'), stream: true }));
	assert.ok(s instanceof OpenAI.NotFoundError, 'a stream fails at create');
	const em = await rejection(client().embeddings.create({
	    model: 'no-such-model', input: 'x', encoding_format: 'float' }));
	assert.ok(em instanceof OpenAI.NotFoundError);
	assert.equal(em.code, 'model_not_found');
});

test('bad messages are BadRequestError with the param', async () => {
	const cases = [
		[{ messages: [] }, 'messages', 'empty_array'],
		[{ messages: [{ role: 'robot', content: 'x' }] },
		    'messages[0].role', 'invalid_value'],
		[{ messages: [{ role: 'user', content: 'a' }, { role: 'user' }] },
		    'messages[1].content', 'missing_required_parameter'],
		[{ messages: [{ role: 'tool', content: 'r' }] },
		    'messages[0].tool_call_id', 'missing_required_parameter'],
		[{ messages: [{ role: 'user', content: 42 }] },
		    'messages[0].content', 'invalid_type'],
		[{ messages: user('x'), n: 0 }, 'n', 'invalid_value'],
		[{ messages: user('x'), stream: 'yes' }, 'stream', 'invalid_type'],
	];
	for (const [body, param, code] of cases) {
		const e = await rejection(client().chat.completions.create({
		    model: MODEL, ...body }));
		assert.ok(e instanceof OpenAI.BadRequestError,
		    `${param}: ${e}`);
		assert.equal(e.status, 400);
		assert.equal(e.param, param);
		assert.equal(e.code, code);
		assert.equal(e.type, 'invalid_request_error');
	}
	const none = await rejection(client().chat.completions.create({
	    model: MODEL }));
	assert.ok(none instanceof OpenAI.BadRequestError);
	assert.equal(none.param, 'messages');
	assert.equal(none.code, 'missing_required_parameter');
});

test('stream_options without stream is BadRequestError param stream_options', async () => {
	const e = await rejection(client().chat.completions.create({
	    model: MODEL, messages: user('x'),
	    stream_options: { include_usage: true } }));
	assert.ok(e instanceof OpenAI.BadRequestError);
	assert.equal(e.param, 'stream_options');
	assert.equal(e.code, 'invalid_value');
	const f = await rejection(client().chat.completions.create({
	    model: MODEL, messages: user('x'), stream: false,
	    stream_options: { include_usage: true } }));
	assert.ok(f instanceof OpenAI.BadRequestError);
	assert.equal(f.param, 'stream_options');
});

test('a bad key on chat is AuthenticationError, nothing echoed', async () => {
	const bad = keyA.slice(0, -1) + (keyA.endsWith('a') ? 'b' : 'a');
	const e = await rejection(client(bad).chat.completions.create({
	    model: MODEL, messages: user('hi') }));
	assert.ok(e instanceof OpenAI.AuthenticationError);
	assert.equal(e.status, 401);
	assert.ok(!e.message.includes(bad));
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['createChatCompletion 200',
	    'createChatCompletion 200 stream', 'createEmbedding 200',
	    'createChatCompletion 404', 'createChatCompletion 400',
	    'createChatCompletion 401']);
});
