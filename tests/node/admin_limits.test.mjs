// admin_limits.test.mjs: the limits of the Admin API (issue #16) through
// the official SDK: client.admin.organization.projects.rateLimits,
// .spendLimit, .spendAlerts, .modelPermissions and the organization's
// spendLimit and spendAlerts, every answer held to the OpenAPI document
// (common.mjs).  The stack (sdk_admin_limits.sh) runs several workers
// with admin_api = on and gives ADMIN_KEY (made with vennactl), KEY_A,
// VENNACTL and STACK_CONF.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { OpenAI, assertChecked, base, checkedFetch, keyA, rejection }
    from './common.mjs';

const adminKey = process.env.ADMIN_KEY;

function admin(key = adminKey) {
	return new OpenAI({ baseURL: base, adminAPIKey: key, maxRetries: 0,
	    timeout: 30000, fetch: checkedFetch }).admin.organization;
}

function ctl(...args) {
	return execFileSync(process.env.VENNACTL,
	    ['-c', process.env.STACK_CONF, ...args], { encoding: 'utf8',
	    stdio: ['ignore', 'pipe', 'ignore'] });
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
const channel = { type: 'email', recipients: ['ops@example.com'],
    subject_prefix: 'Venna' };

test('rate limits: one per model, paged, updated, reset', async () => {
	const alpha = await projectNamed('alpha');
	const rl = admin().projects.rateLimits;
	const every = await all(rl.listRateLimits(alpha.id, { limit: 1 }));
	assert.deepEqual(every.map((r) => r.id), ['rl-venna-1', 'rl-venna-2'],
	    'every configured model, one page at a time');
	for (const r of every) {
		assert.equal(r.object, 'project.rate_limit');
		assert.equal(r.model, r.id.slice(3));
		assert.equal(r.max_requests_per_1_minute, 0, 'no limit set');
	}
	const up = await rl.updateRateLimit('rl-venna-1', { project_id: alpha.id,
	    max_requests_per_1_minute: 600, max_tokens_per_1_minute: 150000,
	    max_requests_per_1_day: 10000, batch_1_day_max_input_tokens: 1e6 });
	assert.deepEqual(up, { object: 'project.rate_limit', id: 'rl-venna-1',
	    model: 'venna-1', max_requests_per_1_minute: 600,
	    max_tokens_per_1_minute: 150000, max_requests_per_1_day: 10000,
	    batch_1_day_max_input_tokens: 1000000 });
	const again = (await rl.listRateLimits(alpha.id)).data[0];
	assert.deepEqual(again, up, 'listed as updated, on any worker');
	const beta = await projectNamed('beta');
	assert.equal((await rl.listRateLimits(beta.id)).data[0]
	    .max_requests_per_1_minute, 0, 'beta keeps its own');
	const part = await rl.updateRateLimit('rl-venna-1', { project_id:
	    alpha.id, max_tokens_per_1_minute: 1 });
	assert.equal(part.max_requests_per_1_minute, 600,
	    'an update changes only what it names');
	const back = await rl.updateRateLimit('rl-venna-1', { project_id:
	    alpha.id, max_requests_per_1_minute: null });
	assert.equal(back.max_requests_per_1_minute, 0, 'null: the default');
	// vennactl sees the same, and its change is the API's.
	assert.match(ctl('limits', 'show', 'alpha'),
	    /^rate_limit\tvenna-1\t0\t1\*\t10000\*\t1000000\*$/m);
	ctl('limits', 'set', 'alpha', '--model', 'venna-2', '--rpm', '42');
	assert.equal((await rl.listRateLimits(alpha.id, { after: 'rl-venna-1' }))
	    .data[0].max_requests_per_1_minute, 42, 'vennactl\'s change, at once');
	for (const [body, why] of [[{ max_requests_per_1_minute: -1 }, 'negative'],
	    [{ max_requests_per_1_minute: 1.5 }, 'a fraction'],
	    [{ max_tokens_per_1_minute: 'lots' }, 'a string'],
	    [{ max_requests_per_1_day: 1e15 }, 'over the cap'],
	    [{ max_images_per_1_minute: 3 }, 'no such limit in Venna']]) {
		const e = await rejection(rl.updateRateLimit('rl-venna-1',
		    { project_id: alpha.id, ...body }));
		assert.equal(e.status, 400, why);
		assert.equal(e.param, Object.keys(body)[0], `${why}: param`);
	}
	const nf = await rejection(rl.updateRateLimit('rl-gpt-nosuch',
	    { project_id: alpha.id, max_requests_per_1_minute: 1 }));
	assert.equal(nf.status, 404, 'a model not configured');
	const np = await rejection(all(rl.listRateLimits('ws_nosuchproject0')));
	assert.equal(np.status, 404, 'an unknown project');
	const cur = await rejection(all(rl.listRateLimits(alpha.id,
	    { after: 'rl-nosuch' })));
	assert.equal(cur.status, 400, 'an unknown cursor');
});

test('spend limits: the organization\'s and a project\'s', async () => {
	const org = admin().spendLimit;
	assert.equal((await rejection(org.retrieve())).status, 404,
	    'none set yet');
	const set = await org.update({ threshold_amount: 10000,
	    currency: 'USD', interval: 'month' });
	assert.deepEqual(set, { object: 'organization.spend_limit',
	    threshold_amount: 10000, currency: 'USD', interval: 'month',
	    enforcement: { status: 'enforcing' } });
	assert.deepEqual(await org.retrieve(), set, 'read back, in cents');
	assert.match(ctl('limits', 'org'),
	    /^organization_spend_limit\t100\.00\tUSD a month$/m,
	    'vennactl shows $100.00');
	assert.deepEqual(await org.delete(), { object:
	    'organization.spend_limit.deleted', deleted: true });
	assert.equal((await rejection(org.retrieve())).status, 404, 'gone');
	const alpha = await projectNamed('alpha');
	const ps = admin().projects.spendLimit;
	const p = await ps.update(alpha.id, { threshold_amount: 1,
	    currency: 'USD', interval: 'month' });
	assert.equal(p.object, 'project.spend_limit');
	assert.equal(p.threshold_amount, 1, 'one cent');
	assert.equal((await ps.retrieve(alpha.id)).threshold_amount, 1);
	for (const body of [{ threshold_amount: 0, currency: 'USD',
	    interval: 'month' }, { threshold_amount: 5, currency: 'EUR',
	    interval: 'month' }, { threshold_amount: 5, currency: 'USD',
	    interval: 'week' }])
		assert.equal((await rejection(ps.update(alpha.id, body))).status,
		    400, JSON.stringify(body));
	assert.deepEqual(await ps.delete(alpha.id), { object:
	    'project.spend_limit.deleted', deleted: true });
	assert.equal((await rejection(ps.delete(alpha.id))).status, 404,
	    'deleting twice');
});

test('spend alerts: create, list both ways, retrieve, update, delete',
    async () => {
	const alpha = await projectNamed('alpha');
	const beta = await projectNamed('beta');
	const sa = admin().projects.spendAlerts;
	const made = [];
	for (const t of [100, 200, 300])
		made.push(await sa.create(alpha.id, { threshold_amount: t,
		    currency: 'USD', interval: 'month',
		    notification_channel: channel }));
	for (const a of made) {
		assert.equal(a.object, 'project.spend_alert');
		assert.match(a.id, /^alert_/);
		assert.deepEqual(a.notification_channel, channel);
	}
	const asc = await all(sa.list(alpha.id, { limit: 1 }));
	assert.deepEqual(asc.map((a) => a.threshold_amount), [100, 200, 300],
	    'oldest first, one page at a time');
	const desc = await all(sa.list(alpha.id, { limit: 2, order: 'desc' }));
	assert.deepEqual(desc.map((a) => a.threshold_amount), [300, 200, 100],
	    'order desc');
	const back = await sa.list(alpha.id, { before: made[2].id, limit: 1 });
	assert.deepEqual(back.data.map((a) => a.id), [made[1].id],
	    'before: the page just before');
	const empty = await (await sa.list(beta.id).asResponse()).json();
	assert.deepEqual(empty, { object: 'list', data: [], first_id: null,
	    last_id: null, has_more: false }, 'beta has none');
	assert.deepEqual(await sa.retrieve(made[0].id, { project_id: alpha.id }),
	    made[0]);
	const up = await sa.update(made[0].id, { project_id: alpha.id,
	    threshold_amount: 150, currency: 'USD', interval: 'month',
	    notification_channel: { type: 'email', recipients: [] } });
	assert.equal(up.threshold_amount, 150);
	assert.equal(up.notification_channel.subject_prefix, null);
	for (const call of [
	    () => sa.retrieve(made[0].id, { project_id: beta.id }),
	    () => sa.update(made[0].id, { project_id: beta.id,
		threshold_amount: 1, currency: 'USD', interval: 'month',
		notification_channel: channel }),
	    () => sa.delete(made[0].id, { project_id: beta.id }),
	    () => admin().spendAlerts.retrieve(made[0].id)])
		assert.equal((await rejection(call())).status, 404,
		    'not through another project\'s path, nor the org\'s');
	for (const a of made) {
		const d = await sa.delete(a.id, { project_id: alpha.id });
		assert.deepEqual(d, { id: a.id,
		    object: 'project.spend_alert.deleted', deleted: true });
	}
	const bad = await rejection(sa.create(alpha.id, { threshold_amount: 1,
	    currency: 'USD', interval: 'month', notification_channel:
	    { type: 'email', recipients: ['not an address'] } }));
	assert.equal(bad.status, 400);
	assert.equal(bad.param, 'notification_channel.recipients[0]');
	// The organization's.
	const oa = admin().spendAlerts;
	const o = await oa.create({ threshold_amount: 500000, currency: 'USD',
	    interval: 'month', notification_channel: channel });
	assert.equal(o.object, 'organization.spend_alert');
	assert.deepEqual(await oa.retrieve(o.id), o);
	assert.ok((await all(oa.list())).some((x) => x.id === o.id));
	assert.equal((await oa.update(o.id, { threshold_amount: 1,
	    currency: 'USD', interval: 'month', notification_channel: channel }))
	    .threshold_amount, 1);
	assert.equal((await rejection(sa.retrieve(o.id,
	    { project_id: alpha.id }))).status, 404, 'not a project\'s');
	assert.deepEqual(await oa.delete(o.id), { id: o.id,
	    object: 'organization.spend_alert.deleted', deleted: true });
});

test('model permissions: none, an allow list, a deny list, none again',
    async () => {
	const alpha = await projectNamed('alpha');
	const mp = admin().projects.modelPermissions;
	assert.deepEqual(await mp.retrieve(alpha.id), { object:
	    'project.model_permissions', mode: 'deny_list', model_ids: [] },
	    'none set: nothing denied');
	assert.deepEqual(await mp.update(alpha.id, { mode: 'allow_list',
	    model_ids: ['venna-1'] }), { object: 'project.model_permissions',
	    mode: 'allow_list', model_ids: ['venna-1'] });
	assert.deepEqual((await mp.retrieve(alpha.id)).model_ids, ['venna-1']);
	const nf = await rejection(mp.update(alpha.id, { mode: 'deny_list',
	    model_ids: ['venna-1', 'gpt-nosuch'] }));
	assert.equal(nf.status, 404, 'a model not configured');
	assert.equal(nf.param, 'model_ids[1]');
	assert.equal((await rejection(mp.update(alpha.id, { mode: 'both',
	    model_ids: [] }))).status, 400);
	assert.deepEqual(await mp.delete(alpha.id), { object:
	    'project.model_permissions.deleted', deleted: true });
	assert.equal((await mp.retrieve(alpha.id)).mode, 'deny_list');
});

test('archived projects keep their limits, take no change', async () => {
	const p = await admin().projects.create({ name: `lim-${uniq}` });
	await admin().projects.spendLimit.update(p.id, { threshold_amount: 700,
	    currency: 'USD', interval: 'month' });
	await admin().projects.archive(p.id);
	assert.equal((await admin().projects.spendLimit.retrieve(p.id))
	    .threshold_amount, 700, 'readable');
	for (const call of [
	    () => admin().projects.spendLimit.delete(p.id),
	    () => admin().projects.rateLimits.updateRateLimit('rl-venna-1',
		{ project_id: p.id, max_requests_per_1_minute: 1 }),
	    () => admin().projects.modelPermissions.update(p.id,
		{ mode: 'deny_list', model_ids: [] }),
	    () => admin().projects.spendAlerts.create(p.id,
		{ threshold_amount: 1, currency: 'USD', interval: 'month',
		notification_channel: channel })])
		assert.equal((await rejection(call())).status, 409, `${call}`);
});

test('a workspace key is no admin key', async () => {
	const alpha = await projectNamed('alpha');
	const e = await rejection(admin(keyA).projects.spendLimit.update(
	    alpha.id, { threshold_amount: 1, currency: 'USD',
	    interval: 'month' }));
	assert.equal(e.status, 401);
	assert.equal((await rejection(admin(keyA).spendLimit.retrieve()))
	    .status, 401);
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['list-project-rate-limits 200',
	    'update-project-rate-limits 200', 'update-project-rate-limits 400',
	    'update-project-rate-limits 404',
	    'Getorganizationspendlimit 200', 'Getorganizationspendlimit 404',
	    'Updateorganizationspendlimit 200',
	    'Deleteorganizationspendlimit 200', 'Getprojectspendlimit 200',
	    'Updateprojectspendlimit 200', 'Updateprojectspendlimit 400',
	    'Deleteprojectspendlimit 200', 'list-project-spend-alerts 200',
	    'create-project-spend-alert 200', 'retrieve-project-spend-alert 200',
	    'update-project-spend-alert 200', 'delete-project-spend-alert 200',
	    'list-organization-spend-alerts 200',
	    'create-organization-spend-alert 200',
	    'retrieve-organization-spend-alert 200',
	    'update-organization-spend-alert 200',
	    'delete-organization-spend-alert 200',
	    'retrieve-project-model-permissions 200',
	    'update-project-model-permissions 200',
	    'delete-project-model-permissions 200']);
});
