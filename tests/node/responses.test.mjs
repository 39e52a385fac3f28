// responses.test.mjs: the SDK's responses resource against a stack
// started by tests/integration/sdk_responses.sh:
//   venna-1     the built-in echo upstream (echoes the last user text;
//               calls the first tool when tools are given)
//   m-mock      the mock upstream ("mock reply to: <text>")
//   m-slow      the mock, 4 s before it answers (for cancel)
// Environment: BASE_URL, KEY_A, KEY_B, MOCK_URL.
import test from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OpenAI, assertChecked, checkedFetch, client, keyB, rejection }
    from './common.mjs';

const MOCK = process.env.MOCK_URL;
const nonce = () => 'n' + randomBytes(6).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// What the mock received for the request whose body holds marker.
async function received(marker) {
	const all = await (await fetch(`${MOCK}/_mock/requests`)).json();
	const hits = all.filter((r) => JSON.stringify(r.body).includes(marker));
	assert.equal(hits.length, 1, `the mock got one request with ${marker}`);
	return hits[0].body;
}
const stats = async () => (await fetch(`${MOCK}/_mock/stats`)).json();

// Every field the API requires of a Response (openai-api.md §5.3).
function shaped(r) {
	for (const k of ['id', 'object', 'created_at', 'error',
	    'incomplete_details', 'instructions', 'model', 'tools', 'output',
	    'parallel_tool_calls', 'metadata', 'tool_choice', 'temperature',
	    'top_p'])
		assert.ok(k in r, `the response has ${k}`);
	assert.match(r.id, /^resp_/);
	assert.equal(r.object, 'response');
}

test('create on the echo model: output_text, usage, every required field', async () => {
	const r = await client().responses.create({ model: 'venna-1',
	    input: 'hello from the sdk', instructions: 'be brief',
	    metadata: { k: 'v' } });
	shaped(r);
	assert.equal(r.status, 'completed');
	assert.equal(r.output_text, 'hello from the sdk');
	assert.equal(r.instructions, 'be brief');
	assert.deepEqual(r.metadata, { k: 'v' });
	assert.equal(r.background, false);
	assert.ok(r.completed_at >= r.created_at);
	assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
	assert.equal(r.usage.total_tokens, r.usage.input_tokens +
	    r.usage.output_tokens);
	const msg = r.output[0];
	assert.equal(msg.type, 'message');
	assert.equal(msg.role, 'assistant');
	assert.match(msg.id, /^msg_/);
	assert.equal(msg.content[0].type, 'output_text');
});

test('a chain of three turns reaches the upstream as one conversation', async () => {
	const c = client();
	const n = nonce();
	const r1 = await c.responses.create({ model: 'm-mock',
	    input: `first ${n}`, instructions: 'only turn one' });
	assert.equal(r1.output_text, `mock reply to: first ${n}`);
	const r2 = await c.responses.create({ model: 'm-mock',
	    input: `second ${n}`, previous_response_id: r1.id });
	assert.equal(r2.previous_response_id, r1.id);
	assert.equal(r2.instructions, null, 'instructions are not inherited');
	const r3 = await c.responses.create({ model: 'm-mock',
	    input: [{ role: 'user', content: `third ${n}` }],
	    previous_response_id: r2.id, instructions: 'turn three' });
	const body = await received(`third ${n}`);
	const msgs = body.messages.map((m) => [m.role,
	    typeof m.content === 'string' ? m.content :
	    m.content.map((p) => p.text).join('')]);
	assert.deepEqual(msgs, [
		['system', 'turn three'],
		['user', `first ${n}`],
		['assistant', `mock reply to: first ${n}`],
		['user', `second ${n}`],
		['assistant', `mock reply to: second ${n}`],
		['user', `third ${n}`],
	]);
	assert.equal(body.model, 'gpt-mock');
	assert.ok(r3.usage.input_tokens > r1.usage.input_tokens,
	    'the whole conversation is billed as input');
});

test('streamed: the events in order with rising sequence numbers', async () => {
	const n = nonce();
	const stream = await client().responses.create({ model: 'm-mock',
	    input: `stream ${n}`, stream: true });
	const types = [], seqs = [];
	let text = '', final;
	for await (const ev of stream) {
		types.push(ev.type);
		seqs.push(ev.sequence_number);
		if (ev.type === 'response.output_text.delta')
			text += ev.delta;
		if (ev.type === 'response.completed')
			final = ev.response;
	}
	assert.equal(types[0], 'response.created');
	assert.equal(types[1], 'response.in_progress');
	assert.equal(types.at(-1), 'response.completed');
	for (const t of ['response.output_item.added',
	    'response.content_part.added', 'response.output_text.done',
	    'response.content_part.done', 'response.output_item.done'])
		assert.ok(types.includes(t), `the stream has ${t}`);
	assert.ok(types.filter((t) => t === 'response.output_text.delta')
	    .length > 1, 'the text comes in several deltas');
	assert.deepEqual(seqs, seqs.map((_, i) => i));
	assert.equal(text, `mock reply to: stream ${n}`);
	assert.equal(final.status, 'completed');
	assert.ok(final.usage.output_tokens > 0);
	// Stored before its end was sent: it chains at once.
	const next = await client().responses.create({ model: 'm-mock',
	    input: 'and then', previous_response_id: final.id });
	assert.equal(next.status, 'completed');
	const got = await client().responses.retrieve(final.id);
	assert.equal(got.output_text, text);
});

test('the SDK stream helper gives the final response', async () => {
	const s = client().responses.stream({ model: 'venna-1',
	    input: 'helper text' });
	const final = await s.finalResponse();
	assert.equal(final.output_text, 'helper text');
});

test('function tools: a function_call, then its output continues the chain', async () => {
	const c = client();
	const tools = [{ type: 'function', name: 'lookup',
	    description: 'look it up', strict: false,
	    parameters: { type: 'object', properties: {
		input: { type: 'string' } } } }];
	const r1 = await c.responses.create({ model: 'venna-1',
	    input: 'find the weather', tools });
	const call = r1.output.find((o) => o.type === 'function_call');
	assert.ok(call, 'a function_call item');
	assert.equal(call.name, 'lookup');
	assert.match(call.call_id, /./);
	assert.doesNotThrow(() => JSON.parse(call.arguments));
	const r2 = await c.responses.create({ model: 'venna-1', tools,
	    previous_response_id: r1.id, input: [{ type:
	    'function_call_output', call_id: call.call_id, output: 'sunny' }] });
	assert.equal(r2.output_text, 'Tool result: sunny');
});

test('retrieve, input items with pagination, delete', async () => {
	const c = client();
	const r = await c.responses.create({ model: 'venna-1', input: [
		{ role: 'user', content: 'one' },
		{ role: 'assistant', content: 'two' },
		{ role: 'user', content: 'three' },
	] });
	const got = await c.responses.retrieve(r.id);
	assert.equal(got.id, r.id);
	assert.deepEqual(got.output, r.output);
	const desc = await c.responses.inputItems.list(r.id);
	assert.equal(desc.data.length, 3);
	assert.equal(desc.data[0].content[0].text, 'three');
	assert.equal(desc.has_more, false);
	const p1 = await c.responses.inputItems.list(r.id, { limit: 2,
	    order: 'asc' });
	assert.deepEqual(p1.data.map((i) => i.content[0].text),
	    ['one', 'two']);
	assert.equal(p1.has_more, true);
	// first_id and last_id, which the SDK's page does not keep.
	const raw = await (await checkedFetch(`${process.env.BASE_URL}/` +
	    `responses/${r.id}/input_items?limit=2&order=asc`, { headers: {
		Authorization: `Bearer ${process.env.KEY_A}` } })).json();
	assert.equal(raw.first_id, p1.data[0].id);
	assert.equal(raw.last_id, p1.data[1].id);
	const p2 = await c.responses.inputItems.list(r.id, { limit: 2,
	    order: 'asc', after: raw.last_id });
	assert.deepEqual(p2.data.map((i) => i.content[0].text), ['three']);
	assert.equal(p2.has_more, false);
	const all = [];
	for await (const i of c.responses.inputItems.list(r.id, { limit: 1,
	    order: 'asc' }))
		all.push(i.content[0].text);
	assert.deepEqual(all, ['one', 'two', 'three']);

	const del = await c.responses.delete(r.id);
	assert.deepEqual(del, { id: r.id, object: 'response', deleted: true });
	let e = await rejection(c.responses.retrieve(r.id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	e = await rejection(c.responses.delete(r.id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	e = await rejection(c.responses.create({ model: 'venna-1',
	    input: 'x', previous_response_id: r.id }));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
	assert.equal(e.code, 'previous_response_not_found');
});

test('delete answers the deletion object on the wire', async () => {
	const c = client();
	const r = await c.responses.create({ model: 'venna-1', input: 'x' });
	const res = await checkedFetch(
	    `${process.env.BASE_URL}/responses/${r.id}`, { method: 'DELETE',
		headers: { Authorization: `Bearer ${process.env.KEY_A}` } });
	assert.equal(res.status, 200);
	assert.deepEqual(await res.json(), { id: r.id, object: 'response',
	    deleted: true });
});

test('background: queued at once, then completed without a cron tick', async () => {
	const c = client();
	const n = nonce();
	const r = await c.responses.create({ model: 'm-mock',
	    input: `later ${n}`, background: true });
	assert.equal(r.background, true);
	assert.ok(r.status === 'queued' || r.status === 'in_progress',
	    r.status);
	assert.deepEqual(r.output, []);
	let got;
	for (let i = 0; i < 100; i++) {
		got = await c.responses.retrieve(r.id);
		if (got.status === 'completed')
			break;
		await sleep(50);
	}
	assert.equal(got.status, 'completed');
	assert.equal(got.output_text, `mock reply to: later ${n}`);
	const e = await rejection(c.responses.cancel(r.id));
	assert.ok(e instanceof OpenAI.ConflictError, `got ${e}`);
});

test('cancel: a background response stops, and its upstream call is aborted', async () => {
	const c = client();
	const before = (await stats()).aborted;
	const r = await c.responses.create({ model: 'm-slow',
	    input: 'take your time', background: true });
	await sleep(300);
	const cc = await c.responses.cancel(r.id);
	assert.equal(cc.status, 'cancelled');
	const again = await c.responses.cancel(r.id);
	assert.equal(again.status, 'cancelled', 'cancel is idempotent');
	let aborted = before;
	for (let i = 0; i < 40 && aborted === before; i++) {
		await sleep(50);
		aborted = (await stats()).aborted;
	}
	assert.equal(aborted, before + 1, 'the upstream call was aborted');
	await sleep(300);
	const got = await c.responses.retrieve(r.id);
	assert.equal(got.status, 'cancelled');
	assert.deepEqual(got.output, []);
	const plain = await c.responses.create({ model: 'venna-1',
	    input: 'x' });
	const e = await rejection(c.responses.cancel(plain.id));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
});

test('store false: answered, not kept; background needs store', async () => {
	const c = client();
	const r = await c.responses.create({ model: 'venna-1', input: 'x',
	    store: false });
	assert.equal(r.store, false);
	assert.equal(r.status, 'completed');
	let e = await rejection(c.responses.retrieve(r.id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	e = await rejection(c.responses.create({ model: 'venna-1',
	    input: 'x', previous_response_id: r.id }));
	assert.equal(e.code, 'previous_response_not_found');
	e = await rejection(c.responses.create({ model: 'venna-1',
	    input: 'x', background: true, store: false }));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
	assert.equal(e.param, 'background');
});

test('another workspace: 404 everywhere, previous_response_not_found as a chain', async () => {
	const a = client(), b = client(keyB);
	const r = await a.responses.create({ model: 'venna-1',
	    input: 'private words' });
	for (const call of [() => b.responses.retrieve(r.id),
	    () => b.responses.delete(r.id),
	    () => b.responses.cancel(r.id),
	    () => b.responses.inputItems.list(r.id)]) {
		const e = await rejection(call());
		assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	}
	const e = await rejection(b.responses.create({ model: 'venna-1',
	    input: 'x', previous_response_id: r.id }));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
	assert.equal(e.code, 'previous_response_not_found');
	assert.equal(e.param, 'previous_response_id');
	assert.equal((await a.responses.retrieve(r.id)).id, r.id,
	    'and it is still there for its own workspace');
});

test('bad requests get a 400 naming the parameter', async () => {
	const c = client();
	const cases = [
		[{ model: 'venna-1' }, 'input'],
		[{ input: 'x' }, 'model'],
		[{ model: 'venna-1', input: 42 }, 'input'],
		[{ model: 'venna-1', input: 'x', tools: [{ type: 'web_search' }] },
		    'tools[0].type'],
	];
	for (const [body, param] of cases) {
		const e = await rejection(c.responses.create(body));
		assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
		assert.equal(e.param, param, JSON.stringify(body));
	}
	const e = await rejection(c.responses.create({ model: 'nope',
	    input: 'x' }));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	assert.equal(e.code, 'model_not_found');
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['createResponse 200', 'createResponse 200 stream',
	    'getResponse 200', 'deleteResponse 200', 'cancelResponse 200',
	    'listInputItems 200', 'getResponse 404', 'deleteResponse 404',
	    'cancelResponse 404', 'listInputItems 404', 'cancelResponse 409',
	    'cancelResponse 400', 'createResponse 400', 'createResponse 404']);
});
