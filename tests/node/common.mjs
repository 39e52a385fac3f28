// common.mjs: clients for the tests.  maxRetries 0: a test must see
// what the gateway answered, not what a retry hid.  Every answer they
// get is checked against the OpenAI OpenAPI document (checkedFetch).
//
// The SDK is tests/node/node_modules/openai (npm ci by ./bootstrap), or
// the module VENNA_OPENAI_SDK names: `make distcheck` builds from a
// read-only tarball that has no node_modules of its own.
import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { sseDecoder, validator } from './openapi.mjs';

const sdk = await import(process.env.VENNA_OPENAI_SDK || 'openai');
export const OpenAI = sdk.default;

export const base = process.env.BASE_URL;
export const keyA = process.env.KEY_A;
export const keyB = process.env.KEY_B;

export function client(key = keyA, opts = {}) {
	return new OpenAI({ baseURL: base, apiKey: key, maxRetries: 0,
	    timeout: 30000, fetch: checkedFetch, ...opts });
}

// Every answer a test sees is held to the OpenAPI document (openapi.mjs):
// the JSON bodies, each event of a stream, the error envelopes.  A
// violation fails the test that made the call, from an afterEach hook:
// thrown from fetch, the SDK would turn it into a bare "Connection
// error.", and an error answer's body the SDK reads itself.  The hook
// also writes them as the test's diagnostics: when the test fails first
// for another reason, its own error is the one TAP reports.
const oa = await validator();
const violations = [];

function violate(msgs) {
	violations.push(...msgs);
}

afterEach((t) => {
	if (violations.length === 0)
		return;
	const all = violations.splice(0);
	for (const m of all)
		t.diagnostic(m);
	throw new Error(all.join('\n'));
});
process.on('exit', () => {
	if (violations.length === 0)
		return;
	process.stderr.write(violations.map((m) => `# ${m}\n`).join(''));
	process.exitCode = 1;
});

// Fail unless every one of want ("operationId status", with " stream"
// for an event stream) was checked in this process: a suite ends with
// it, so that no answer it means to check goes unchecked unnoticed (a
// fetch that bypassed checkedFetch, a path matched to no operation).
export function assertChecked(want) {
	const missing = want.filter((w) => !oa.seen.has(w));
	assert.deepEqual(missing, [], 'answers never held to the OpenAPI ' +
	    'document');
}

// The violations recorded since the last test ended, taken: for the
// validator's own tests, which cause some on purpose.
export function takeViolations() {
	return violations.splice(0);
}

// fetch, checking what it answers.  A stream is checked as it passes,
// an event before the SDK reads it.
export async function checkedFetch(url, init = {}) {
	const res = await fetch(url, init);
	const u = new URL(String(url));
	// The SDK itself fetches data:, to learn the Response class.
	if (u.protocol !== 'http:' && u.protocol !== 'https:')
		return res;
	const method = (init.method ?? 'GET').toUpperCase();
	const p = u.pathname;
	const ct = res.headers.get('content-type') ?? '';
	if (!/^text\/event-stream/i.test(ct) || !res.body) {
		const text = await res.clone().text();
		violate(oa.check(method, p, res.status, ct, text,
		    init.body));
		return res;
	}
	const s = oa.stream(method, p, res.status);
	const dec = sseDecoder((data) => violate(s.event(data)));
	const td = new TextDecoder();
	const body = res.body.pipeThrough(new TransformStream({
		transform(chunk, ctl) {
			dec.push(td.decode(chunk, { stream: true }));
			ctl.enqueue(chunk);
		},
		flush() {
			dec.push(td.decode());
			const left = dec.end();
			if (left)
				violate([`openapi: ${method} ${p}: the stream ` +
				    `ended inside an event: ${left.slice(0, 200)}`]);
			violate(s.end());
		},
	}));
	return new Response(body, { status: res.status,
	    statusText: res.statusText, headers: res.headers });
}

// The error an SDK call throws, or fails the test if it resolves.
export async function rejection(promise) {
	try {
		await promise;
	} catch (e) {
		return e;
	}
	throw new Error('expected the call to fail');
}

// Read a chat stream whole: the chunks, and per choice the content, the
// tool-call arguments reassembled, the finish reason and the calls.
export async function drain(stream) {
	const chunks = [], content = {}, args = {}, finish = {}, calls = {};
	for await (const ch of stream) {
		chunks.push(ch);
		for (const c of ch.choices) {
			if (typeof c.delta.content === 'string')
				content[c.index] = (content[c.index] ?? '') +
				    c.delta.content;
			for (const t of c.delta.tool_calls ?? []) {
				if (t.id)
					calls[c.index] = { id: t.id, type: t.type,
					    name: t.function?.name };
				if (t.function?.arguments)
					args[c.index] = (args[c.index] ?? '') +
					    t.function.arguments;
			}
			if (c.finish_reason)
				finish[c.index] = c.finish_reason;
		}
	}
	return { chunks, content, args, finish, calls };
}
