// admin.test.mjs: the Admin API (/v1/organization) through the official
// SDK's client.admin.organization, every answer held to the OpenAPI
// document (common.mjs).  The stack (sdk_admin.sh) runs several workers
// with admin_api = on and gives ADMIN_KEY (made with vennactl), KEY_A
// and KEY_B (workspace keys of alpha and beta).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { OpenAI, assertChecked, base, checkedFetch, client, keyA, keyB,
    rejection } from './common.mjs';

const sdk = await import(process.env.VENNA_OPENAI_SDK || 'openai');
const adminKey = process.env.ADMIN_KEY;
const MODEL = 'venna-1';

function admin(key = adminKey) {
	return new OpenAI({ baseURL: base, adminAPIKey: key, maxRetries: 0,
	    timeout: 30000, fetch: checkedFetch }).admin.organization;
}

// The HTTP statuses of n concurrent chat completions with key, sorted
// and counted: "200:30" or "401:30".
async function codes(key, n = 30) {
	const got = await Promise.all(Array.from({ length: n }, () =>
	    client(key).chat.completions.create({ model: MODEL,
	    messages: [{ role: 'user', content: 'hi' }] })
	    .then(() => 200, (e) => e.status ?? 0)));
	const count = {};
	for (const c of got)
		count[c] = (count[c] ?? 0) + 1;
	return Object.entries(count).map(([c, k]) => `${c}:${k}`).sort()
	    .join(' ');
}

async function all(page) {
	const out = [];
	for await (const x of page)
		out.push(x);
	return out;
}

async function projectNamed(name) {
	const ps = await all(admin().projects.list({ include_archived: true }));
	const p = ps.find((x) => x.name === name);
	assert.ok(p, `project ${name} is listed`);
	return p;
}

const uniq = `${process.pid}-${Date.now() % 100000}`;

test('admin keys: create, list, retrieve, delete', async () => {
	const k = await admin().adminAPIKeys.create({ name: 'second admin' });
	assert.equal(k.object, 'organization.admin_api_key');
	assert.match(k.value, /^vka_[A-Za-z0-9]{12}_[A-Za-z0-9]{49}$/);
	assert.equal(k.redacted_value, `vka_...${k.value.slice(-4)}`);
	assert.equal(k.name, 'second admin');
	assert.equal(k.expires_at, null);
	// The new key works at once, and is listed by itself.
	const listed = await all(admin(k.value).adminAPIKeys.list({ limit: 1 }));
	assert.ok(listed.length >= 2, 'both admin keys, one page at a time');
	assert.ok(listed.some((x) => x.id === k.id));
	assert.ok(listed.every((x) => !('value' in x)), 'no secret listed');
	const r = await admin().adminAPIKeys.retrieve(k.id);
	assert.equal(r.id, k.id);
	assert.equal(typeof r.last_used_at, 'number', 'last_used_at kept');
	const d = await admin().adminAPIKeys.delete(k.id);
	assert.deepEqual(d, { id: k.id,
	    object: 'organization.admin_api_key.deleted', deleted: true });
	const e = await rejection(admin(k.value).adminAPIKeys.list());
	assert.equal(e.status, 401, 'a deleted admin key is refused');
	const nf = await rejection(admin().adminAPIKeys.retrieve(k.id));
	assert.equal(nf.status, 404);
	const exp = await admin().adminAPIKeys.create({ name: 'short',
	    expires_in_seconds: 3600 });
	assert.ok(exp.expires_at >= exp.created_at + 3599);
	await admin().adminAPIKeys.delete(exp.id);
});

test('projects: create, list, retrieve, update, archive', async () => {
	const names = [1, 2, 3].map((i) => `p${i}-${uniq}`);
	const made = [];
	for (const name of names)
		made.push(await admin().projects.create({ name }));
	for (const p of made) {
		assert.equal(p.object, 'organization.project');
		assert.match(p.id, /^ws_/);
		assert.equal(p.status, 'active');
		assert.equal(p.archived_at, null);
	}
	// Pages of one, followed by the SDK through after = last_id.
	const ids = (await all(admin().projects.list({ limit: 1 })))
	    .map((p) => p.id);
	for (const p of made)
		assert.ok(ids.includes(p.id), `${p.name} listed`);
	assert.equal(new Set(ids).size, ids.length, 'no project twice');
	const one = await admin().projects.retrieve(made[0].id);
	assert.deepEqual(one, made[0]);
	const up = await admin().projects.update(made[0].id,
	    { name: `renamed-${uniq}` });
	assert.equal(up.name, `renamed-${uniq}`);
	const arch = await admin().projects.archive(made[1].id);
	assert.equal(arch.status, 'archived');
	assert.equal(typeof arch.archived_at, 'number');
	const active = (await all(admin().projects.list())).map((p) => p.id);
	assert.ok(!active.includes(made[1].id), 'archived: not listed');
	const every = (await all(admin().projects.list({
	    include_archived: true }))).map((p) => p.id);
	assert.ok(every.includes(made[1].id), 'include_archived lists it');
	const dup = await rejection(admin().projects.create({ name: names[2] }));
	assert.equal(dup.status, 409);
	const nf = await rejection(admin().projects.retrieve('ws_nosuch'));
	assert.equal(nf.status, 404);
});

test('hostile names and limits are 400s', async () => {
	for (const name of ['caf\u00e9 \u2603', 'x'.repeat(65), '',
	    '-dash', 'a/b'])
		assert.equal((await rejection(admin().projects.create({ name })))
		    .status, 400, `project name ${JSON.stringify(name)}`);
	const alpha = await projectNamed('alpha');
	const sa = await admin().projects.serviceAccounts.create(alpha.id,
	    { name: 'r\u00f4bot \u2603 \ud83d\ude80' });
	assert.equal(sa.name, 'r\u00f4bot \u2603 \ud83d\ude80',
	    'a unicode service account name round-trips');
	await admin().projects.serviceAccounts.delete(sa.id,
	    { project_id: alpha.id });
	for (const name of ['n'.repeat(201), 'tab\there'])
		assert.equal((await rejection(admin().projects.serviceAccounts
		    .create(alpha.id, { name }))).status, 400);
	for (const limit of [1000, -1, 0, 'abc', 1e30])
		assert.equal((await rejection(all(admin().projects.list(
		    { limit })))).status, 400, `limit ${limit}`);
	const junk = await rejection(all(admin().projects.list(
	    { after: 'ws_nosuch' })));
	assert.equal(junk.status, 400, 'an unknown cursor');
	const many = Array.from({ length: 1000 }, (_, i) => `ws_${i}`);
	const e = await rejection(all(admin().auditLogs.list(
	    { project_ids: many })));
	assert.ok([400, 414].includes(e.status),
	    `1000 project_ids: ${e.status}`);
});

test('a service account key works at once, dies at once on every worker',
    async () => {
	const beta = await projectNamed('beta');
	const sa = await admin().projects.serviceAccounts.create(beta.id,
	    { name: 'deployer' });
	assert.equal(sa.object, 'organization.project.service_account');
	assert.equal(sa.role, 'member');
	assert.equal(sa.api_key.object,
	    'organization.project.service_account.api_key');
	const key = sa.api_key.value;
	assert.match(key, /^vk_/);
	assert.equal(await codes(key), '200:30', 'works on every worker');
	const got = await admin().projects.serviceAccounts.retrieve(sa.id,
	    { project_id: beta.id });
	assert.equal(got.name, 'deployer');
	assert.ok(!('api_key' in got), 'the key is shown only once');
	const sas = await all(admin().projects.serviceAccounts.list(beta.id,
	    { limit: 1 }));
	assert.ok(sas.some((s) => s.id === sa.id));
	const keys = await all(admin().projects.apiKeys.list(beta.id,
	    { limit: 1 }));
	const k = keys.find((x) => x.id === sa.api_key.id);
	assert.ok(k, 'the key is listed in its project');
	assert.equal(k.redacted_value, `vk_...${key.slice(-4)}`);
	assert.ok(!JSON.stringify(keys).includes(key.slice(16, 40)),
	    'no secret in the list');
	assert.equal(k.owner.type, 'service_account');
	assert.equal(k.owner.service_account.id, sa.id);
	assert.equal(typeof k.last_used_at, 'number', 'last_used_at kept');
	const r = await admin().projects.apiKeys.retrieve(k.id,
	    { project_id: beta.id });
	assert.equal(r.id, k.id);
	const d = await admin().projects.apiKeys.delete(k.id,
	    { project_id: beta.id });
	assert.deepEqual(d, { object: 'organization.project.api_key.deleted',
	    id: k.id, deleted: true });
	assert.equal(await codes(key), '401:30',
	    'refused by the very next requests, on every worker');
	const nf = await rejection(admin().projects.apiKeys.retrieve(k.id,
	    { project_id: beta.id }));
	assert.equal(nf.status, 404);
	// Deleting the account revokes the key it still has.
	const sa2 = await admin().projects.serviceAccounts.create(beta.id,
	    { name: 'temp' });
	assert.equal(await codes(sa2.api_key.value, 10), '200:10');
	const sd = await admin().projects.serviceAccounts.delete(sa2.id,
	    { project_id: beta.id });
	assert.deepEqual(sd, { object:
	    'organization.project.service_account.deleted', id: sa2.id,
	    deleted: true });
	assert.equal(await codes(sa2.api_key.value, 10), '401:10');
});

test('an archived project\'s keys stop at once; its objects stay',
    async () => {
	const p = await admin().projects.create({ name: `arch-${uniq}` });
	const sa = await admin().projects.serviceAccounts.create(p.id,
	    { name: 'worker' });
	const key = sa.api_key.value;
	assert.equal(await codes(key), '200:30');
	await admin().projects.archive(p.id);
	assert.equal(await codes(key), '401:30');
	const keys = await all(admin().projects.apiKeys.list(p.id));
	assert.ok(keys.some((k) => k.id === sa.api_key.id),
	    'its keys are still readable by admins');
	const e = await rejection(admin().projects.serviceAccounts.create(
	    p.id, { name: 'late' }));
	assert.equal(e.status, 409, 'an archived project takes no new key');
	const again = await admin().projects.archive(p.id);
	assert.equal(again.status, 'archived', 'archiving twice is harmless');
});

test('nothing of one project shows through another\'s id', async () => {
	const alpha = await projectNamed('alpha');
	const beta = await projectNamed('beta');
	const sa = await admin().projects.serviceAccounts.create(alpha.id,
	    { name: 'alpha-only' });
	const kid = sa.api_key.id;
	// One call at a time: a call started early could reject unheard.
	for (const call of [
	    () => admin().projects.apiKeys.retrieve(kid,
		{ project_id: beta.id }),
	    () => admin().projects.apiKeys.delete(kid, { project_id: beta.id }),
	    () => admin().projects.serviceAccounts.retrieve(sa.id,
		{ project_id: beta.id }),
	    () => admin().projects.serviceAccounts.delete(sa.id,
		{ project_id: beta.id })])
		assert.equal((await rejection(call())).status, 404, `${call}`);
	const bk = await all(admin().projects.apiKeys.list(beta.id));
	assert.ok(!bk.some((k) => k.id === kid), 'not in beta\'s list');
	const cross = await rejection(all(admin().projects.apiKeys.list(beta.id,
	    { after: kid })));
	assert.equal(cross.status, 400, 'alpha\'s key is no cursor in beta');
	assert.equal(await codes(sa.api_key.value, 5), '200:5',
	    'and the key still works');
	await admin().projects.serviceAccounts.delete(sa.id,
	    { project_id: alpha.id });
});

test('a workspace key gets the OpenAI error on every admin endpoint',
    async () => {
	const alpha = await projectNamed('alpha');
	for (const key of [keyA, keyB]) {
		const o = admin(key);
		const calls = [
		    () => o.adminAPIKeys.create({ name: 'x' }),
		    () => all(o.adminAPIKeys.list()),
		    () => o.adminAPIKeys.retrieve('abc'),
		    () => o.adminAPIKeys.delete('abc'),
		    () => o.projects.create({ name: 'x' }),
		    () => all(o.projects.list()),
		    () => o.projects.retrieve(alpha.id),
		    () => o.projects.update(alpha.id, { name: 'x' }),
		    () => o.projects.archive(alpha.id),
		    () => o.projects.serviceAccounts.create(alpha.id,
			{ name: 'x' }),
		    () => all(o.projects.serviceAccounts.list(alpha.id)),
		    () => o.projects.serviceAccounts.retrieve('s',
			{ project_id: alpha.id }),
		    () => o.projects.serviceAccounts.delete('s',
			{ project_id: alpha.id }),
		    () => all(o.projects.apiKeys.list(alpha.id)),
		    () => o.projects.apiKeys.retrieve('k',
			{ project_id: alpha.id }),
		    () => o.projects.apiKeys.delete('k',
			{ project_id: alpha.id }),
		    () => all(o.auditLogs.list()),
		    () => o.usage.completions({ start_time: 1 }),
		    () => o.usage.embeddings({ start_time: 1 }),
		    () => o.usage.costs({ start_time: 1 }),
		    () => all(o.users.list()),
		    () => all(o.projects.rateLimits.listRateLimits(alpha.id)),
		];
		for (const call of calls) {
			const e = await rejection(call());
			assert.ok(e instanceof OpenAI.AuthenticationError,
			    `${call}: ${e.status}`);
			assert.equal(e.type, 'invalid_request_error');
			assert.match(e.message, /Missing scopes: api\.management/);
		}
	}
	assert.equal((await projectNamed('alpha')).status, 'active',
	    'and nothing changed');
});

test('an admin key gets the OpenAI error on every model endpoint',
    async () => {
	const c = client(adminKey);
	const calls = [
	    () => c.chat.completions.create({ model: MODEL,
		messages: [{ role: 'user', content: 'x' }] }),
	    () => c.embeddings.create({ model: MODEL, input: 'x' }),
	    () => all(c.models.list()),
	    () => c.models.retrieve(MODEL),
	    () => all(c.files.list()),
	    () => c.files.retrieve('file-x'),
	    () => all(c.batches.list()),
	    () => c.batches.retrieve('batch_x'),
	    () => c.responses.create({ model: MODEL, input: 'x' }),
	    () => c.responses.retrieve('resp_x'),
	    () => c.images.generate({ prompt: 'x' }),
	];
	for (const call of calls) {
		const e = await rejection(call());
		assert.ok(e instanceof OpenAI.AuthenticationError,
		    `${call}: ${e.status}`);
		assert.match(e.message, /Missing scopes: model\.request/);
	}
});

test('the rest of /v1/organization is 501 not_implemented', async () => {
	const alpha = await projectNamed('alpha');
	const o = admin();
	const calls = [
	    () => all(o.users.list()),
	    () => o.users.retrieve('user_x'),
	    () => all(o.invites.list()),
	    () => o.invites.create({ email: 'a@b.c', role: 'reader' }),
	    () => all(o.groups.list()),
	    () => all(o.roles.list()),
	    () => all(o.certificates.list()),
	    () => all(o.projects.users.list(alpha.id)),
	    () => o.invites.retrieve('invite_x'),
	    () => o.certificates.retrieve('cert_x'),
	    () => o.usage.audioSpeeches({ start_time: 1 }),
	    () => o.usage.audioTranscriptions({ start_time: 1 }),
	    () => o.dataRetention.retrieve(),
	    () => o.usage.images({ start_time: 1 }),
	    () => o.usage.moderations({ start_time: 1 }),
	];
	for (const call of calls) {
		const e = await rejection(call());
		assert.equal(e.status, 501, `${call}`);
		assert.equal(e.code, 'not_implemented');
	}
	const bad = await rejection(admin('vka_' + 'x'.repeat(62)).users.list());
	assert.equal(bad.status, 401, 'admin authentication comes first');
});

test('the audit log: every change, its actor, OpenAI\'s filters',
    async () => {
	const t0 = Math.floor(Date.now() / 1000) - 1;
	const p = await admin().projects.create({ name: `audit-${uniq}` });
	const sa = await admin().projects.serviceAccounts.create(p.id,
	    { name: 'audited' });
	await admin().projects.update(p.id, { name: `audit2-${uniq}` });
	await admin().projects.apiKeys.delete(sa.api_key.id,
	    { project_id: p.id });
	await admin().projects.serviceAccounts.delete(sa.id,
	    { project_id: p.id });
	await admin().projects.archive(p.id);
	const evs = await all(admin().auditLogs.list({ project_ids: [p.id] }));
	assert.deepEqual(evs.map((e) => e.type).reverse(), [
	    'project.created', 'service_account.created', 'api_key.created',
	    'project.updated', 'api_key.deleted', 'service_account.deleted',
	    'project.archived'], 'every change, newest first');
	const me = adminKey.slice(4, 16);
	for (const e of evs) {
		assert.equal(e.actor.type, 'api_key');
		assert.equal(e.actor.api_key.id, me, 'the admin key acted');
		assert.equal(e.project.id, p.id);
		assert.ok(e.effective_at >= t0);
	}
	assert.equal(evs.find((e) => e.type === 'project.updated')
	    ['project.updated'].changes_requested.title, `audit2-${uniq}`);
	const byType = await all(admin().auditLogs.list({ project_ids: [p.id],
	    event_types: ['api_key.created', 'api_key.deleted'] }));
	assert.deepEqual(byType.map((e) => e.type),
	    ['api_key.deleted', 'api_key.created']);
	const byRes = await all(admin().auditLogs.list(
	    { resource_ids: [sa.id] }));
	assert.deepEqual(byRes.map((e) => e.type),
	    ['service_account.deleted', 'service_account.created']);
	const byActor = await all(admin().auditLogs.list(
	    { actor_ids: [me], project_ids: [p.id] }));
	assert.equal(byActor.length, evs.length);
	const none = await all(admin().auditLogs.list(
	    { actor_ids: ['unix:nobody-at-all'], project_ids: [p.id] }));
	assert.equal(none.length, 0);
	const future = await all(admin().auditLogs.list({
	    effective_at: { gt: Math.floor(Date.now() / 1000) + 3600 } }));
	assert.equal(future.length, 0, 'effective_at[gt] in the future');
	const since = await all(admin().auditLogs.list({
	    effective_at: { gte: t0 }, project_ids: [p.id] }));
	assert.equal(since.length, evs.length, 'effective_at[gte]');
	// One event a page, through after = last_id, as the SDK pages.
	const paged = await all(admin().auditLogs.list({ project_ids: [p.id],
	    limit: 1 }));
	assert.deepEqual(paged.map((e) => e.id), evs.map((e) => e.id));
	// before: the page just newer than the cursor, newest first.
	const back = await admin().auditLogs.list({ project_ids: [p.id],
	    before: evs[3].id, limit: 2 });
	assert.deepEqual(back.data.map((e) => e.id), [evs[1].id, evs[2].id]);
	assert.equal(back.has_more, true, 'one more, newer still');
	// vennactl's own changes are in it too, with a Unix user as actor.
	const ctl = await all(admin().auditLogs.list({
	    event_types: ['project.created'] }));
	const alpha = ctl.find((e) => e.project?.name === 'alpha');
	assert.ok(alpha, 'vennactl workspace create is audited');
	assert.equal(alpha.actor.type, 'session');
	assert.match(alpha.actor.session.user.id, /^unix:/);
});

// The ledger itself, read with sqlite3: what usage and costs must sum.
function ledger(sql) {
	const out = execFileSync(process.env.SQLITE3_BIN, ['-json',
	    process.env.STACK_DB, sql], { encoding: 'utf8' });
	return out.trim() === '' ? [] : JSON.parse(out);
}

test('usage and costs equal the sums of the ledger rows they cover',
    async (t) => {
	// A workload: two models, keys of alpha, beta and a service
	// account, streamed and not, embeddings.
	const beta = await projectNamed('beta');
	const sa = await admin().projects.serviceAccounts.create(beta.id,
	    { name: 'usage' });
	const keys = [keyA, sa.api_key.value];
	let n = 0;
	for (let i = 0; i < 24; i++) {
		const c = client(keys[i % keys.length]);
		const model = i % 3 === 0 ? 'venna-2' : MODEL;
		const messages = [{ role: 'user', content:
		    'word '.repeat(1 + (i * 7) % 13) }];
		if (i % 4 === 1) {
			const st = await c.chat.completions.create({ model,
			    messages, stream: true,
			    stream_options: { include_usage: true } });
			for await (const _ of st)
				;
		} else if (i % 4 === 2) {
			await c.embeddings.create({ model, input: ['a b c',
			    'd e'.repeat(i)] });
		} else {
			await c.chat.completions.create({ model, messages });
		}
		n++;
	}
	assert.equal(n, 24);
	// Batch lines, run by venna-batch as cron would.
	const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({
	    custom_id: `u${i}`, method: 'POST', url: '/v1/chat/completions',
	    body: { model: MODEL, messages: [{ role: 'user',
	    content: `batch line ${i}` }] } })).join('\n') + '\n';
	const f = await client().files.create({ purpose: 'batch',
	    file: await sdk.toFile(Buffer.from(lines), 'usage.jsonl') });
	const b = await client().batches.create({ input_file_id: f.id,
	    endpoint: '/v1/chat/completions', completion_window: '24h' });
	let status = b.status;
	for (let i = 0; i < 10 && status !== 'completed'; i++) {
		execFileSync(process.env.VENNA_BATCH, ['-c',
		    process.env.STACK_CONF], { stdio: 'ignore' });
		status = (await client().batches.retrieve(b.id)).status;
	}
	assert.equal(status, 'completed', 'the batch ran');
	// Rows reach the usage table when imported; vennactl imports.
	execFileSync(process.env.VENNACTL, ['-c', process.env.STACK_CONF,
	    'usage'], { stdio: 'ignore' });
	assert.ok(ledger('SELECT count(*) AS n FROM usage WHERE batch_id IS ' +
	    'NOT NULL')[0].n >= 6, 'batch lines are in the ledger');
	const now = Math.floor(Date.now() / 1000) + 1;
	const t0 = now - 7200;
	let compared = 0;
	const groupSets = [[], ['project_id'], ['api_key_id'], ['model'],
	    ['batch'], ['project_id', 'api_key_id', 'model', 'batch']];
	for (const [kind, call, where] of [
	    ['completions', (q) => admin().usage.completions(q),
	    "endpoint != '/v1/embeddings'"],
	    ['embeddings', (q) => admin().usage.embeddings(q),
	    "endpoint = '/v1/embeddings'"]]) {
		for (const [bw, width, limit] of [['1m', 60, 121], ['1h', 3600, 3],
		    ['1d', 86400, 2]]) {
			for (const gb of groupSets) {
				if (kind === 'embeddings' && gb.includes('batch'))
					continue;
				const start = t0 - t0 % width;
				const page = await call({ start_time: t0,
				    end_time: now, bucket_width: bw, limit,
				    group_by: gb });
				assert.equal(page.object, 'page');
				assert.equal(page.has_more, false);
				const rows = ledger(`SELECT created_at / ${width} *
				    ${width} AS s, workspace_id AS p,
				    coalesce(key_id, '') AS k, coalesce(model, '') AS m,
				    batch_id IS NOT NULL AS b, count(*) AS n,
				    sum(prompt_tokens) AS i, sum(cached_tokens) AS ca,
				    sum(completion_tokens) AS o FROM usage
				    WHERE ${where} AND created_at >= ${start}
				    AND created_at < ${now} GROUP BY 1, 2, 3, 4, 5`);
				const want = new Map();
				for (const r of rows) {
					const id = [r.s, gb.includes('project_id') ? r.p : null,
					    gb.includes('api_key_id') ? r.k : null,
					    gb.includes('model') ? r.m : null,
					    gb.includes('batch') ? !!r.b : null].join('|');
					const w = want.get(id) ?? { n: 0, i: 0, ca: 0, o: 0 };
					w.n += r.n; w.i += r.i; w.ca += r.ca; w.o += r.o;
					want.set(id, w);
				}
				const got = new Map();
				for (const bucket of page.data) {
					assert.equal(bucket.end_time - bucket.start_time,
					    width);
					for (const r of bucket.results) {
						const id = [bucket.start_time,
						    r.project_id, r.api_key_id, r.model,
						    r.batch ?? null].join('|');
						got.set(id, { n: r.num_model_requests,
						    i: r.input_tokens,
						    ca: r.input_cached_tokens ?? 0,
						    o: r.output_tokens ?? 0 });
					}
				}
				if (kind === 'embeddings')
					for (const w of want.values())
						w.ca = 0, w.o = 0;
				assert.deepEqual(Object.fromEntries(got),
				    Object.fromEntries(want),
				    `${kind} ${bw} by [${gb}]`);
				compared += want.size;
			}
		}
	}
	for (const gb of [[], ['project_id'], ['line_item'],
	    ['project_id', 'line_item']]) {
		const start = t0 - t0 % 86400;
		const page = await admin().usage.costs({ start_time: t0,
		    end_time: now, limit: 2, group_by: gb });
		const rows = ledger(`SELECT workspace_id AS p,
		    coalesce(model, '') AS m, sum(cost_pusd) AS c FROM usage
		    WHERE created_at >= ${start} AND created_at < ${now}
		    GROUP BY 1, 2`);
		const want = new Map();
		for (const r of rows) {
			const id = [gb.includes('project_id') ? r.p : null,
			    gb.includes('line_item') ? r.m : null].join('|');
			want.set(id, (want.get(id) ?? 0) + r.c);
		}
		const got = new Map();
		for (const b of page.data)
			for (const r of b.results) {
				assert.equal(r.amount.currency, 'usd');
				got.set([r.project_id, r.line_item].join('|'),
				    Math.round(r.amount.value * 1e12));
			}
		assert.deepEqual(Object.fromEntries(got),
		    Object.fromEntries(want), `costs by [${gb}]`);
		assert.ok([...want.values()].some((c) => c > 0),
		    'the workload cost something');
		compared += want.size;
	}
	t.diagnostic(`usage and costs: ${compared} (bucket, group) sums ` +
	    'compared with the ledger');
	assert.ok(compared > 50, `compared ${compared}`);
	const byBatch = await admin().usage.completions({ start_time: t0,
	    end_time: now, limit: 2, group_by: ['batch'], batch: true });
	assert.ok(byBatch.data.some((bk) => bk.results.some((r) =>
	    r.batch === true && r.num_model_requests >= 6)),
	    'batch lines are reported with batch: true');
	// A page of buckets, then the next through next_page.
	const p1 = await admin().usage.completions({ start_time: t0,
	    end_time: now, bucket_width: '1m', limit: 60 });
	assert.equal(p1.data.length, 60);
	assert.equal(p1.has_more, true);
	const p2 = await admin().usage.completions({ start_time: t0,
	    end_time: now, bucket_width: '1m', limit: 60,
	    page: p1.next_page });
	assert.equal(p2.data[0].start_time, p1.data[59].end_time);
	for (const [q, why] of [[{ bucket_width: '1m' }, 'no start_time'],
	    [{ start_time: t0, limit: 32 }, 'limit over 31 days'],
	    [{ start_time: t0, group_by: ['user_id'] }, 'a group not offered'],
	    [{ start_time: t0, bucket_width: '2d' }, 'a width not offered']])
		assert.equal((await rejection(admin().usage.completions(q)))
		    .status, 400, why);
	const ce = await rejection(admin().usage.costs({ start_time: t0,
	    bucket_width: '1h' }));
	assert.equal(ce.status, 400, 'costs come by day only');
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['admin-api-keys-create 200', 'admin-api-keys-list 200',
	    'admin-api-keys-get 200', 'admin-api-keys-delete 200',
	    'create-project 200', 'list-projects 200', 'retrieve-project 200',
	    'modify-project 200', 'archive-project 200',
	    'create-project-service-account 200',
	    'list-project-service-accounts 200',
	    'retrieve-project-service-account 200',
	    'delete-project-service-account 200', 'list-project-api-keys 200',
	    'retrieve-project-api-key 200', 'delete-project-api-key 200',
	    'list-audit-logs 200', 'usage-completions 200',
	    'usage-embeddings 200', 'usage-costs 200']);
});
