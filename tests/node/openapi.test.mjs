// openapi.test.mjs: the OpenAPI check itself (openapi.mjs, common.mjs's
// checkedFetch, validate.mjs), on answers made up here: what conforms
// passes, what does not is caught and named (operation, JSON pointer,
// value), through the SDK a violation fails the test that made the
// call.  No gateway: a local HTTP server plays it.
//   node --test-reporter=tap openapi.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { client, takeViolations } from './common.mjs';
import { sseDecoder, validator } from './openapi.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const v = await validator();
const J = JSON.stringify;

const model = { id: 'venna-1', object: 'model', created: 1700000000,
    owned_by: 'venna' };
const envelope = { error: { message: 'No such model', type:
    'invalid_request_error', param: 'model', code: 'model_not_found' } };
const chunk = (delta, finish = null) => ({ id: 'chatcmpl-1', object:
    'chat.completion.chunk', created: 1700000000, model: 'venna-1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const sse = (...data) => data.map((d) => `data: ${typeof d === 'string' ?
    d : J(d)}\n\n`).join('');

// The events of an SSE text checked as one stream: the messages.
function checkStream(method, p, text) {
	const s = v.stream(method, p, 200);
	const bad = [];
	const dec = sseDecoder((d) => bad.push(...s.event(d)));
	dec.push(text);
	assert.equal(dec.end(), '', 'the made-up stream is whole');
	return [...bad, ...s.end()];
}

function one(msgs, ...parts) {
	assert.equal(msgs.length, 1, `one message: ${J(msgs)}`);
	for (const p of parts)
		assert.ok(msgs[0].includes(p), `${J(p)} in ${msgs[0]}`);
}

test('a conforming model list passes; a null created is named', () => {
	const body = { object: 'list', data: [model] };
	assert.deepEqual(v.check('GET', '/v1/models', 200, 'application/json',
	    J(body)), []);
	body.data[0] = { ...model, created: null };
	one(v.check('GET', '/venna/v1/models', 200, 'application/json',
	    J(body)), 'GET /models (listModels) 200', 'ListModelsResponse',
	    '/data/0/created must be integer, got null');
});

test('a missing required field and a wrong enum value are named', () => {
	const f = { id: 'file-x', object: 'file', bytes: 3, created_at: 1,
	    filename: 'a.txt', purpose: 'user_data', status: 'processed' };
	assert.deepEqual(v.check('GET', '/v1/files/file-x', 200,
	    'application/json', J(f)), []);
	const { bytes, ...nobytes } = f;
	one(v.check('GET', '/v1/files/file-x', 200, 'application/json',
	    J({ ...nobytes, purpose: 'nope' })), 'retrieveFile',
	    '/bytes is required, got nothing', '/purpose must be equal to ' +
	    'one of the allowed values', '"nope"');
	assert.equal(bytes, 3);
});

test('errors are held to ErrorResponse, whatever the operation lists', () => {
	assert.deepEqual(v.check('GET', '/v1/models/x', 404,
	    'application/json', J(envelope)), []);
	const { param, ...noparam } = envelope.error;
	one(v.check('GET', '/v1/models/x', 404, 'application/json',
	    J({ error: noparam })), 'retrieveModel) 404 ErrorResponse',
	    '/error/param is required');
	assert.equal(param, 'model');
	// The document names the bare Error here; the SDK reads body.error.
	one(v.check('DELETE', '/v1/responses/resp_1', 404,
	    'application/json', J(envelope.error)), 'deleteResponse',
	    '/error is required');
	one(v.check('POST', '/v1/chat/completions', 401, 'application/json',
	    'Unauthorized'), 'createChatCompletion) 401: the body is not JSON',
	    '"Unauthorized"');
});

test('operations, statuses and media types the document lacks', () => {
	one(v.check('GET', '/v1/nothing/here', 200, 'application/json', '{}'),
	    'GET /nothing/here is no operation of the document');
	one(v.check('GET', '/v1/models', 201, 'application/json', '{}'),
	    'listModels) 201: status 201 is not in the document');
	one(v.check('GET', '/v1/models', 200, 'text/html', '<p>'),
	    'content type text/html is not in the document');
	// The file's own bytes: the document calls the body a string.
	assert.deepEqual(v.check('GET', '/v1/files/file-x/content', 200,
	    'application/octet-stream', '\u0000\u00ff'), []);
	// Literal segments win: input_tokens is no response id.
	assert.equal(v.find('POST', '/v1/responses/input_tokens').op
	    .operationId, 'Getinputtokencounts');
	assert.equal(v.find('POST', '/v1/responses/resp_1/cancel').op
	    .operationId, 'cancelResponse');
});

test('nullable: true of the document admits null, and only there', () => {
	// finish_reason and logprobs are `nullable: true` in the chunk.
	assert.deepEqual(checkStream('POST', '/v1/chat/completions',
	    sse(chunk({ role: 'assistant', content: '' }),
	    chunk({ content: 'hi' }), chunk({}, 'stop'), '[DONE]')), []);
	one(checkStream('POST', '/v1/chat/completions', sse(
	    { ...chunk({}, 'stop'), system_fingerprint: null }, '[DONE]')),
	    'event 1 CreateChatCompletionStreamResponse',
	    '/system_fingerprint must be string, got null');
});

test('chat streams: each event, [DONE] last, in-band error envelopes', () => {
	one(checkStream('POST', '/v1/chat/completions', sse(chunk({}, 'bogus'),
	    '[DONE]')), 'event 1', '/choices/0/finish_reason', '"bogus"');
	one(checkStream('POST', '/v1/chat/completions', sse(chunk({}, 'stop'))),
	    'the stream ended without [DONE] or an error');
	one(checkStream('POST', '/v1/chat/completions', sse(chunk({}, 'stop'),
	    '[DONE]', chunk({}))), 'event 3: data after [DONE]');
	// An error ends a stream: OpenAI sends no [DONE] after it.
	assert.deepEqual(checkStream('POST', '/v1/chat/completions', sse(
	    chunk({ content: 'a' }), envelope)), []);
	one(checkStream('POST', '/v1/chat/completions', sse(envelope,
	    chunk({ content: 'a' }))), 'event 2: data after an error');
	one(checkStream('POST', '/v1/chat/completions', sse({ error:
	    { message: 'cut' } })), 'event 1 ErrorResponse',
	    '/error/type is required');
	one(checkStream('POST', '/v1/chat/completions', sse('{"id":', '[DONE]')),
	    'event 1: not JSON: "{\\"id\\":"');
});

test('responses streams: the event its type names, and no [DONE]', () => {
	const delta = { type: 'response.output_text.delta', sequence_number: 3,
	    item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi',
	    logprobs: [] };
	assert.deepEqual(checkStream('POST', '/v1/responses', sse(delta)), []);
	const { delta: d, ...nodelta } = delta;
	// One message about the branch the event chose, none about the
	// fifty others.
	one(checkStream('POST', '/v1/responses', sse(nodelta)),
	    'event 1 ResponseStreamEvent: /delta is required, got nothing');
	assert.equal(d, 'hi');
	one(checkStream('POST', '/v1/responses', sse({ ...delta,
	    type: 'response.nonsense' })), '/type must be equal to one of');
	one(checkStream('POST', '/v1/responses', sse(delta, '[DONE]')),
	    'event 2: [DONE] is no event of this operation');
});

test('embeddings: base64 when the request asked for it, decoded', () => {
	const f = new Float32Array([0.5, -1.25]);
	const b64 = Buffer.from(f.buffer).toString('base64');
	const body = (e) => J({ object: 'list', model: 'm', data: [{ index: 0,
	    object: 'embedding', embedding: e }], usage: { prompt_tokens: 1,
	    total_tokens: 1 } });
	assert.deepEqual(v.check('POST', '/v1/embeddings', 200,
	    'application/json', body([0.5, -1.25]), '{"model":"m"}'), []);
	assert.deepEqual(v.check('POST', '/v1/embeddings', 200,
	    'application/json', body(b64), '{"encoding_format":"base64"}'), []);
	one(v.check('POST', '/v1/embeddings', 200, 'application/json',
	    body(b64), '{"model":"m"}'), '/data/0/embedding must be array');
	one(v.check('POST', '/v1/embeddings', 200, 'application/json',
	    body('not base64!'), '{"encoding_format":"base64"}'),
	    '/data/0/embedding must be array', '"not base64!"');
});

test('the SSE decoder: CRLF, split chunks, comments, an unclosed event', () => {
	const got = [];
	const dec = sseDecoder((d) => got.push(d));
	for (const part of [': ping\r\n\r', '\ndata: a\r', '\ndata:b\n', '\n',
	    'event: x\ndata: c\n\ndata: left'])
		dec.push(part);
	assert.deepEqual(got, ['a\nb', 'c']);
	assert.equal(dec.end(), 'left');
});

// A stand-in gateway: each path answers what the test put in `answers`.
const answers = new Map();
const server = http.createServer((req, res) => {
	const a = answers.get(`${req.method} ${req.url}`);
	req.resume();
	if (!a) {
		res.writeHead(500).end();
		return;
	}
	res.writeHead(a.status, { 'content-type': a.type ??
	    'application/json' });
	res.end(a.body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/v1`;
test.after(() => server.close());

test('through the SDK: a bad body is recorded, the call still returns', async () => {
	answers.set('GET /v1/models/venna-1', { status: 200,
	    body: J({ ...model, owned_by: 7 }) });
	const m = await client('k', { baseURL: base }).models.retrieve('venna-1');
	assert.equal(m.owned_by, 7);
	one(takeViolations(), 'GET /models/{model} (retrieveModel) 200',
	    '/owned_by must be string, got 7');
});

test('through the SDK: an error envelope the SDK reads itself', async () => {
	answers.set('GET /v1/models/nope', { status: 404,
	    body: J({ error: { message: 'gone', type: 'x', code: null } }) });
	await assert.rejects(client('k', { baseURL: base }).models
	    .retrieve('nope'), { status: 404 });
	one(takeViolations(), 'retrieveModel) 404 ErrorResponse',
	    '/error/param is required');
});

test('through the SDK: a stream, each event before the SDK reads it', async () => {
	answers.set('POST /v1/chat/completions', { status: 200,
	    type: 'text/event-stream', body: sse(chunk({ content: 'a' }),
	    { ...chunk({}, 'stop'), created: 'yesterday' }, '[DONE]') });
	const s = await client('k', { baseURL: base }).chat.completions.create({
	    model: 'm', messages: [{ role: 'user', content: 'x' }],
	    stream: true });
	const seen = [];
	for await (const c of s) {
		seen.push(c.choices[0].finish_reason);
		// The second event is checked before the SDK hands it over.
		if (seen.length === 2)
			one(takeViolations(), 'event 2',
			    '/created must be integer, got "yesterday"');
	}
	assert.deepEqual(seen, [null, 'stop']);
	assert.deepEqual(takeViolations(), []);
});

test('a violation fails the test that made the call, and says why', async () => {
	answers.set('GET /v1/models', { status: 200,
	    body: J({ object: 'list', data: [{ ...model, created: null }] }) });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'venna-openapi-'));
	const file = path.join(dir, 'child.test.mjs');
	fs.writeFileSync(file, `import test from 'node:test';
import { client } from ${J(path.join(here, 'common.mjs'))};
test('lists the models', async () => {
	await client('k', { baseURL: ${J(base)} }).models.list();
});
test('does nothing', () => {});
`);
	let out;
	try {
		await run(process.execPath, ['--test-reporter=tap', file]);
		assert.fail('the child test passed');
	} catch (e) {
		out = e.stdout;
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	assert.match(out, /^not ok 1 - lists the models$/m);
	assert.match(out, /^ok 2 - does nothing$/m);
	assert.match(out, /GET \/models \(listModels\) 200 ListModelsResponse: \/data\/0\/created must be integer, got null/);
});

test('validate.mjs: exit 0, 1 with the reasons on stderr, 2 on usage', async () => {
	const cli = (args, input) => new Promise((resolve) => {
		const c = execFile(process.execPath, [path.join(here,
		    'validate.mjs'), ...args], (e, stdout, stderr) =>
		    resolve({ code: e ? e.code : 0, stderr }));
		c.stdin.end(input);
	});
	let r = await cli(['GET', '/v1/models/venna-1', '200'], J(model));
	assert.deepEqual(r, { code: 0, stderr: '' });
	r = await cli(['GET', `${base}/models/venna-1`, '200'],
	    J({ ...model, object: 'models' }));
	assert.equal(r.code, 1);
	assert.match(r.stderr, /retrieveModel\) 200 Model: \/object must be equal to one of the allowed values \["model"\], got "models"/);
	r = await cli(['POST', '/v1/chat/completions', '200'],
	    sse(chunk({}, 'stop')));
	assert.equal(r.code, 1);
	assert.match(r.stderr, /ended without \[DONE\] or an error/);
	r = await cli(['POST', '/v1/chat/completions', '200',
	    'text/event-stream; charset=utf-8'], sse(chunk({}, 'stop'), '[DONE]'));
	assert.deepEqual(r, { code: 0, stderr: '' });
	r = await cli(['GET', '/v1/models'], '');
	assert.equal(r.code, 2);
});
