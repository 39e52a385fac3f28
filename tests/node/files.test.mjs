// files.test.mjs: the Files API through the official SDK, unchanged:
// files.create (toFile, fs streams, expires_after), list with for-await
// auto-pagination across pages, retrieve, content byte for byte, delete,
// and the SDK's error classes for what Venna refuses.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpenAI, assertChecked, client, keyB, rejection } from
    './common.mjs';

const { toFile } = await import(process.env.VENNA_OPENAI_SDK || 'openai');

const tag = `sdk${process.pid}x${Date.now()}`;
const allBytes = () => {
	const b = Buffer.alloc(256 * 5 + 3);
	for (let i = 0; i < b.length; i++)
		b[i] = (i * 31 + (i >> 8)) & 255;
	return b;
};
const line = (id) => JSON.stringify({ custom_id: id, method: 'POST',
    url: '/v1/chat/completions', body: { model: 'venna-1',
    messages: [{ role: 'user', content: 'hi' }] } });

test('files.create (toFile), retrieve and content: binary byte for byte',
    async () => {
	const bytes = allBytes();
	const f = await client().files.create({
	    file: await toFile(bytes, `${tag}-bytes.bin`),
	    purpose: 'assistants' });
	assert.match(f.id, /^file-[A-Za-z0-9]{24}$/);
	assert.equal(f.object, 'file');
	assert.equal(f.bytes, bytes.length);
	assert.equal(f.filename, `${tag}-bytes.bin`);
	assert.equal(f.purpose, 'assistants');
	assert.equal(f.status, 'processed');
	assert.ok(!('expires_at' in f), 'no expiry: expires_at absent');
	assert.ok(Math.abs(f.created_at - Date.now() / 1000) < 600);

	const again = await client().files.retrieve(f.id);
	assert.deepEqual({ ...again }, { ...f });

	const res = await client().files.content(f.id);
	assert.equal(res.headers.get('content-type'), 'application/octet-stream');
	assert.equal(res.headers.get('content-length'), String(bytes.length));
	assert.match(res.headers.get('content-disposition'),
	    new RegExp(`^attachment; filename="${tag}-bytes.bin"`));
	const got = Buffer.from(await res.arrayBuffer());
	assert.equal(Buffer.compare(got, bytes), 0, 'byte for byte');
});

test('files.create from an fs stream; its basename is the filename',
    async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'venna-sdk-'));
	const p = path.join(dir, `${tag}-stream.txt`);
	fs.writeFileSync(p, 'streamed from disk\n');
	try {
		const f = await client().files.create({
		    file: fs.createReadStream(p), purpose: 'user_data' });
		assert.equal(f.filename, `${tag}-stream.txt`);
		assert.equal(f.bytes, 19);
		const text = await (await client().files.content(f.id)).text();
		assert.equal(text, 'streamed from disk\n');
	} finally {
		fs.rmSync(dir, { recursive: true });
	}
});

test('a batch file: 30 days by default, expires_after when given',
    async () => {
	const body = [line('a'), line('b'), line('c')].join('\n') + '\n';
	const f = await client().files.create({
	    file: await toFile(Buffer.from(body), 'in.jsonl'),
	    purpose: 'batch' });
	assert.equal(f.purpose, 'batch');
	assert.equal(f.expires_at - f.created_at, 30 * 86400);
	const g = await client().files.create({
	    file: await toFile(Buffer.from(body), 'in.jsonl'),
	    purpose: 'batch',
	    expires_after: { anchor: 'created_at', seconds: 3600 } });
	assert.equal(g.expires_at - g.created_at, 3600);
});

test('a bad batch file is BadRequestError naming the line', async () => {
	const body = [line('a'), line('b'), line('a')].join('\n') + '\n';
	const e = await rejection(client().files.create({
	    file: await toFile(Buffer.from(body), 'dup.jsonl'),
	    purpose: 'batch' }));
	assert.ok(e instanceof OpenAI.BadRequestError);
	assert.equal(e.status, 400);
	assert.equal(e.param, 'file');
	assert.match(e.message, /Line 3 repeats the custom_id 'a' of line 1/);
});

test('a wrong purpose is BadRequestError with param purpose', async () => {
	const e = await rejection(client().files.create({
	    file: await toFile(Buffer.from('x'), 'x.txt'), purpose: 'nope' }));
	assert.ok(e instanceof OpenAI.BadRequestError);
	assert.equal(e.param, 'purpose');
	assert.equal(e.code, 'invalid_value');
});

test('files.list: for-await walks every page', async () => {
	const made = [];
	for (let i = 0; i < 12; i++)
		made.push((await client().files.create({
		    file: await toFile(Buffer.from(`n${i}`), `${tag}-p${i}.txt`),
		    purpose: 'user_data' })).id);

	const seen = [];
	for await (const f of client().files.list({ limit: 5 }))
		if (f.filename.startsWith(`${tag}-p`))
			seen.push(f.id);
	assert.deepEqual(seen, [...made].reverse(), 'all, newest first');

	let page = await client().files.list({ limit: 5, order: 'asc' });
	let pages = 1;
	const asc = [...page.data];
	while (page.hasNextPage()) {
		page = await page.getNextPage();
		asc.push(...page.data);
		pages++;
	}
	assert.ok(pages >= 3, `${pages} pages of 5`);
	assert.deepEqual(asc.filter((f) => made.includes(f.id)).map((f) => f.id),
	    made, 'asc: oldest first');
	assert.equal(page.has_more, false);

	const batch = [];
	for await (const f of client().files.list({ purpose: 'batch' }))
		batch.push(f.purpose);
	assert.ok(batch.length >= 2 && batch.every((p) => p === 'batch'));
});

test('files.delete, then NotFoundError everywhere', async () => {
	const f = await client().files.create({
	    file: await toFile(Buffer.from('bye'), `${tag}-del.txt`),
	    purpose: 'user_data' });
	const d = await client().files.delete(f.id);
	assert.deepEqual({ ...d }, { id: f.id, object: 'file', deleted: true });
	for (const call of [() => client().files.retrieve(f.id),
	    () => client().files.content(f.id),
	    () => client().files.delete(f.id)]) {
		const e = await rejection(call());
		assert.ok(e instanceof OpenAI.NotFoundError);
		assert.equal(e.status, 404);
		assert.equal(e.type, 'invalid_request_error');
		assert.equal(e.param, 'id');
		assert.equal(e.error.message, `No such File object: ${f.id}`);
	}
	for await (const g of client().files.list())
		assert.notEqual(g.id, f.id);
});

test('another workspace gets NotFoundError for the same file', async () => {
	const f = await client().files.create({
	    file: await toFile(Buffer.from('mine'), `${tag}-mine.txt`),
	    purpose: 'user_data' });
	const other = client(keyB);
	for (const call of [() => other.files.retrieve(f.id),
	    () => other.files.content(f.id), () => other.files.delete(f.id)]) {
		const e = await rejection(call());
		assert.ok(e instanceof OpenAI.NotFoundError);
		assert.equal(e.error.message, `No such File object: ${f.id}`);
	}
	for await (const g of other.files.list())
		assert.notEqual(g.id, f.id);
	assert.equal((await client().files.retrieve(f.id)).id, f.id);
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['createFile 200', 'retrieveFile 200',
	    'downloadFile 200', 'listFiles 200', 'deleteFile 200',
	    'createFile 400', 'retrieveFile 404', 'downloadFile 404',
	    'deleteFile 404']);
});
