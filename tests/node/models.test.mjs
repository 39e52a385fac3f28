// models.test.mjs: GET /v1/models and the error envelope as the
// official SDK sees them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, assertChecked, client, keyA, rejection } from
    './common.mjs';

test('models.list returns the configured models', async () => {
	const ids = [];
	for await (const m of client().models.list())
		ids.push(m);
	assert.ok(ids.length >= 1);
	const demo = ids.find((m) => m.id === 'venna-1');
	assert.ok(demo, 'venna-1 is listed');
	assert.equal(demo.object, 'model');
	assert.equal(typeof demo.created, 'number');
	assert.equal(typeof demo.owned_by, 'string');
});

test('models.retrieve returns one model with a request id', async () => {
	const { data, response } = await client().models
	    .retrieve('venna-1').withResponse();
	assert.equal(data.id, 'venna-1');
	assert.match(response.headers.get('x-request-id'), /^req_/);
});

test('an unknown model is NotFoundError model_not_found', async () => {
	const e = await rejection(client().models.retrieve('no-such-model'));
	assert.ok(e instanceof OpenAI.NotFoundError);
	assert.equal(e.status, 404);
	assert.equal(e.code, 'model_not_found');
	assert.equal(e.type, 'invalid_request_error');
	assert.equal(e.param, 'model');
	assert.match(e.requestID, /^req_/);
});

test('a bad key is AuthenticationError invalid_api_key', async () => {
	const bad = keyA.slice(0, -1) + (keyA.endsWith('a') ? 'b' : 'a');
	const e = await rejection(client(bad).models.list());
	assert.ok(e instanceof OpenAI.AuthenticationError);
	assert.equal(e.status, 401);
	assert.equal(e.code, 'invalid_api_key');
	assert.ok(!e.message.includes(bad), 'the key is not echoed');
});

test('a key of another service is refused', async () => {
	const e = await rejection(client('sk-proj-abc').models.list());
	assert.ok(e instanceof OpenAI.AuthenticationError);
});

test('an endpoint Venna does not serve is 501 not_implemented', async () => {
	const e = await rejection(client().images.generate({ prompt: 'x' }));
	assert.equal(e.status, 501);
	assert.equal(e.code, 'not_implemented');
	assert.equal(e.error.message, "Endpoint 'POST /v1/images/generations' " +
	    'is not implemented yet on Venna gateway');
});

test('every answer above was held to the OpenAPI document', () => {
	assertChecked(['listModels 200', 'retrieveModel 200',
	    'retrieveModel 404', 'listModels 401', 'createImage 501']);
});
