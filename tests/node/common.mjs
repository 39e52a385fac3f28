// common.mjs: clients for the tests.  maxRetries 0: a test must see
// what the gateway answered, not what a retry hid.
//
// The SDK is tests/node/node_modules/openai (npm ci by ./bootstrap), or
// the module VENNA_OPENAI_SDK names: `make distcheck` builds from a
// read-only tarball that has no node_modules of its own.
const sdk = await import(process.env.VENNA_OPENAI_SDK || 'openai');
export const OpenAI = sdk.default;

export const base = process.env.BASE_URL;
export const keyA = process.env.KEY_A;
export const keyB = process.env.KEY_B;

export function client(key = keyA, opts = {}) {
	return new OpenAI({ baseURL: base, apiKey: key, maxRetries: 0,
	    timeout: 30000, ...opts });
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
