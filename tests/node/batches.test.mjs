// batches.test.mjs: the SDK's files and batches resources against a
// stack started by tests/integration/sdk_batch.sh:
//   m-mock      the mock upstream (replies "mock reply to: <text>")
//   m-echo      the built-in echo upstream (chat and embeddings)
//   m-slow      the mock at 300 ms a request, batch_concurrency 2
// VENNA_BATCH and VENNA_CONF run one venna-batch pass, as cron would.
// Environment: BASE_URL, KEY_A, KEY_B.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { OpenAI, assertChecked, client, keyB, rejection } from
    './common.mjs';

const sdk = await import(process.env.VENNA_OPENAI_SDK || 'openai');
const toFile = sdk.toFile;
const nonce = () => 'n' + randomBytes(6).toString('hex');

// One venna-batch pass, as cron runs it.
function pass(args = []) {
	execFileSync(process.env.VENNA_BATCH,
	    ['-c', process.env.VENNA_CONF, ...args], { stdio: 'ignore' });
}

const chatLine = (id, text, model = 'm-mock', extra = {}) => ({
	custom_id: id, method: 'POST', url: '/v1/chat/completions',
	body: { model, messages: [{ role: 'user', content: text }] },
	...extra,
});

async function upload(lines, c = client()) {
	const text = lines.map((l) => typeof l === 'string' ? l :
	    JSON.stringify(l)).join('\n') + '\n';
	return c.files.create({ purpose: 'batch',
	    file: await toFile(Buffer.from(text), 'requests.jsonl') });
}

// The output or error file's lines, each parsed ([] when the batch has
// no such file: the field is absent).
async function lines(c, fileId) {
	if (fileId === undefined)
		return [];
	const text = await (await c.files.content(fileId)).text();
	assert.ok(text.endsWith('\n'), 'the file ends with a line end');
	return text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

test('create, run, retrieve: a completed batch with its output file', async () => {
	const c = client();
	const n = nonce();
	const input = Array.from({ length: 30 }, (_, i) =>
	    chatLine(`req-${i}`, `line ${i} ${n}`));
	const f = await upload(input);
	assert.equal(f.purpose, 'batch');
	const b = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h',
	    metadata: { job: n } });
	assert.match(b.id, /^batch_/);
	assert.equal(b.object, 'batch');
	assert.equal(b.status, 'validating');
	assert.equal(b.input_file_id, f.id);
	assert.equal(b.endpoint, '/v1/chat/completions');
	assert.equal(b.completion_window, '24h');
	assert.deepEqual(b.metadata, { job: n });
	assert.equal(b.expires_at, b.created_at + 86400);
	assert.deepEqual(b.request_counts, { total: 0, completed: 0,
	    failed: 0 });
	pass();
	const done = await c.batches.retrieve(b.id);
	assert.equal(done.status, 'completed');
	assert.equal(done.model, 'm-mock');
	assert.deepEqual(done.request_counts, { total: 30, completed: 30,
	    failed: 0 });
	for (const k of ['in_progress_at', 'finalizing_at', 'completed_at'])
		assert.ok(done[k] >= b.created_at, `${k} is set`);
	for (const k of ['failed_at', 'expired_at', 'cancelling_at',
	    'cancelled_at'])
		assert.ok(!(k in done), `${k} is absent`);
	assert.ok(!('error_file_id' in done), 'no error file');
	assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
	assert.equal(done.usage.total_tokens, done.usage.input_tokens +
	    done.usage.output_tokens);

	const of = await c.files.retrieve(done.output_file_id);
	assert.equal(of.purpose, 'batch_output');
	const out = await lines(c, done.output_file_id);
	assert.equal(out.length, 30);
	assert.deepEqual(out.map((l) => l.custom_id).sort(),
	    input.map((l) => l.custom_id).sort());
	assert.equal(of.bytes, Buffer.byteLength((await (await
	    c.files.content(of.id)).text())));
	for (const l of out) {
		const i = Number(l.custom_id.slice(4));
		assert.match(l.id, /^batch_req_/);
		assert.equal(l.error, null);
		assert.equal(l.response.status_code, 200);
		assert.match(l.response.request_id, /^req_/);
		assert.equal(l.response.body.object, 'chat.completion');
		assert.equal(l.response.body.choices[0].message.content,
		    `mock reply to: line ${i} ${n}`);
	}
});

test('embeddings and a line the endpoint refuses: output and error files', async () => {
	const c = client();
	const f = await upload([
		{ custom_id: 'e1', method: 'POST', url: '/v1/embeddings',
		    body: { model: 'm-echo', input: 'first text' } },
		{ custom_id: 'e2', method: 'POST', url: '/v1/embeddings',
		    body: { model: 'm-echo', input: ['a', 'b'] } },
		{ custom_id: 'bad', method: 'POST', url: '/v1/embeddings',
		    body: { model: 'm-echo', input: 42 } },
	]);
	const b = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/embeddings', completion_window: '24h' });
	pass();
	const done = await c.batches.retrieve(b.id);
	assert.equal(done.status, 'completed');
	assert.deepEqual(done.request_counts, { total: 3, completed: 2,
	    failed: 1 });
	const out = await lines(c, done.output_file_id);
	assert.deepEqual(out.map((l) => l.custom_id).sort(), ['e1', 'e2']);
	const e2 = out.find((l) => l.custom_id === 'e2');
	assert.equal(e2.response.body.object, 'list');
	assert.equal(e2.response.body.data.length, 2);
	const err = await lines(c, done.error_file_id);
	assert.equal(err.length, 1);
	assert.equal(err[0].custom_id, 'bad');
	assert.equal(err[0].response.status_code, 400);
	assert.equal(err[0].response.body.error.type,
	    'invalid_request_error');
	assert.equal(err[0].error, null);
});

test('a bad input file fails the batch with line-numbered errors', async () => {
	const c = client();
	const f = await upload([
		chatLine('a', 'one'),
		chatLine('b', 'two', 'm-echo'),
		{ ...chatLine('c', 'three'), url: '/v1/embeddings' },
		chatLine('d', 'four', 'm-mock', {}),
	]);
	const b = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	pass();
	const done = await c.batches.retrieve(b.id);
	assert.equal(done.status, 'failed');
	assert.ok(done.failed_at >= done.created_at);
	assert.ok(!('in_progress_at' in done), 'it never ran');
	assert.ok(!('output_file_id' in done), 'no output file');
	const byLine = Object.fromEntries(done.errors.data.map((e) =>
	    [e.line, e]));
	assert.equal(done.errors.object, 'list');
	assert.equal(byLine[2].code, 'mismatched_model');
	assert.equal(byLine[3].code, 'mismatched_url');
	assert.equal(done.errors.data.length, 2);

	const s = await upload([{ ...chatLine('s', 'x'),
	    body: { model: 'm-mock', stream: true, messages: [] } }]);
	const bs = await c.batches.create({ input_file_id: s.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	const u = await upload([chatLine('u', 'x', 'no-such-model')]);
	const bu = await c.batches.create({ input_file_id: u.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	pass();
	const ds = await c.batches.retrieve(bs.id);
	assert.equal(ds.status, 'failed');
	assert.equal(ds.errors.data[0].param, 'body.stream');
	assert.equal(ds.errors.data[0].line, 1);
	const du = await c.batches.retrieve(bu.id);
	assert.equal(du.status, 'failed');
	assert.equal(du.errors.data[0].code, 'model_not_found');
});

test('cancel before it runs: cancelled, nothing ran; 409 after', async () => {
	const c = client();
	const f = await upload([chatLine('c0', 'cancel me')]);
	const b = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	const cc = await c.batches.cancel(b.id);
	assert.equal(cc.status, 'cancelling');
	assert.ok(cc.cancelling_at >= b.created_at);
	pass();
	const done = await c.batches.retrieve(b.id);
	assert.equal(done.status, 'cancelled');
	assert.ok(done.cancelled_at >= done.cancelling_at);
	assert.ok(!('output_file_id' in done), 'no output file');
	assert.ok(!('error_file_id' in done), 'no error file');
	assert.equal(done.request_counts.completed, 0);
	const e = await rejection(c.batches.cancel(b.id));
	assert.ok(e instanceof OpenAI.ConflictError, `got ${e}`);
	assert.equal(e.status, 409);
	assert.equal(e.headers.get('x-should-retry'), 'false');
	assert.match(e.message, /Cannot cancel a batch with status 'cancelled'/);
});

test('cancel midway: partial results kept, every other line batch_cancelled', async () => {
	const c = client();
	// m-slow: 300 ms a request, two at a time; a 1 s pass runs a few.
	const input = Array.from({ length: 40 }, (_, i) =>
	    chatLine(`s${i}`, `slow ${i}`, 'm-slow'));
	const f = await upload(input);
	const b = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	pass(['-t', '1']);
	const mid = await c.batches.retrieve(b.id);
	assert.equal(mid.status, 'in_progress');
	assert.equal(mid.request_counts.total, 40);
	assert.ok(mid.request_counts.completed > 0 &&
	    mid.request_counts.completed < 40,
	    `${mid.request_counts.completed} lines ran in the first pass`);
	assert.equal((await c.batches.cancel(b.id)).status, 'cancelling');
	pass();
	const done = await c.batches.retrieve(b.id);
	assert.equal(done.status, 'cancelled');
	assert.equal(done.request_counts.completed,
	    mid.request_counts.completed);
	const out = await lines(c, done.output_file_id);
	const err = await lines(c, done.error_file_id);
	assert.equal(out.length, mid.request_counts.completed);
	for (const l of out)
		assert.equal(l.response.status_code, 200);
	for (const l of err)
		assert.equal(l.error.code, 'batch_cancelled');
	assert.deepEqual([...out, ...err].map((l) => l.custom_id).sort(),
	    input.map((l) => l.custom_id).sort());
});

test('list: newest first, limit, after, exact has_more, auto-pagination', async () => {
	const c = client(process.env.KEY_C);
	const f = await upload([chatLine('l', 'list me')], c);
	const ids = [];
	for (let i = 0; i < 5; i++)
		ids.push((await c.batches.create({ input_file_id: f.id,
		    endpoint: '/v1/chat/completions',
		    completion_window: '24h' })).id);
	const p1 = await c.batches.list({ limit: 2 });
	assert.deepEqual(p1.data.map((b) => b.id), [ids[4], ids[3]]);
	assert.equal(p1.has_more, true);
	const p3 = await c.batches.list({ limit: 2, after: ids[2] });
	assert.deepEqual(p3.data.map((b) => b.id), [ids[1], ids[0]]);
	assert.equal(p3.has_more, false);
	const all = [];
	for await (const b of c.batches.list({ limit: 2 }))
		all.push(b.id);
	assert.deepEqual(all, [...ids].reverse());
	const e = await rejection(c.batches.list({ limit: 101 }));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
});

test('another workspace sees none of it', async () => {
	const a = client(), b = client(keyB);
	const f = await upload([chatLine('x', 'private')]);
	const batch = await a.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	let e = await rejection(b.batches.retrieve(batch.id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	e = await rejection(b.batches.cancel(batch.id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	e = await rejection(b.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' }));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
	for await (const x of b.batches.list())
		assert.notEqual(x.id, batch.id);
	pass();
	const done = await a.batches.retrieve(batch.id);
	e = await rejection(b.files.content(done.output_file_id));
	assert.ok(e instanceof OpenAI.NotFoundError, `got ${e}`);
});

test('create checks its fields', async () => {
	const c = client();
	const f = await upload([chatLine('v', 'valid')]);
	const bad = [
		[{ endpoint: '/v1/chat/completions', completion_window: '24h' },
		    'input_file_id'],
		[{ input_file_id: f.id, endpoint: '/v1/completions',
		    completion_window: '24h' }, 'endpoint'],
		[{ input_file_id: f.id, endpoint: '/v1/chat/completions',
		    completion_window: '48h' }, 'completion_window'],
		[{ input_file_id: f.id, endpoint: '/v1/chat/completions',
		    completion_window: '24h', output_expires_after:
		    { anchor: 'created_at', seconds: 60 } },
		    'output_expires_after.seconds'],
	];
	for (const [body, param] of bad) {
		const e = await rejection(c.batches.create(body));
		assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
		assert.equal(e.param, param);
	}
	const up = await c.files.create({ purpose: 'user_data',
	    file: await toFile(Buffer.from('hello'), 'notes.txt') });
	const e = await rejection(c.batches.create({ input_file_id: up.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' }));
	assert.ok(e instanceof OpenAI.BadRequestError, `got ${e}`);
	assert.equal(e.param, 'input_file_id');
	// The message names the file's real purpose, byte for byte.
	assert.equal(e.error.message, `File ${up.id} was uploaded with ` +
	    "purpose 'user_data'; a batch's input file needs purpose 'batch'.");

	const ok = await c.batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h',
	    output_expires_after: { anchor: 'created_at', seconds: 7200 } });
	pass();
	const done = await c.batches.retrieve(ok.id);
	const of = await c.files.retrieve(done.output_file_id);
	assert.equal(of.expires_at, of.created_at + 7200);
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['createFile 200', 'downloadFile 200',
	    'createBatch 200', 'retrieveBatch 200', 'listBatches 200',
	    'cancelBatch 200', 'cancelBatch 409', 'listBatches 400',
	    'retrieveBatch 404', 'cancelBatch 404', 'createBatch 404',
	    'createBatch 400', 'downloadFile 404']);
});
