// openapi.mjs: check an answer of the gateway against the response
// schema the OpenAI OpenAPI document gives its operation.
//
//   const v = await validator();
//   v.check('GET', '/v1/files/file-x', 200, 'application/json', text)
//     -> [] or a list of messages, each naming the operation, the JSON
//        pointer in the body and the offending value.
//   v.stream('POST', '/v1/chat/completions', 200)
//     -> { event(data), end() }, each returning such a list: checks a
//        text/event-stream answer one event's data at a time, then its
//        end.
//
// The document is openapi.yaml beside this file, or the file
// VENNA_OPENAPI names.  openapi.yaml is an unchanged copy of the public
// spec, openai/openai-openapi's openapi.yaml at commit f85dbe223d40
// (info.version 2.3.0, MIT licensed, as its info.license says), kept
// here so that the tests need nothing outside the tree (make distcheck
// runs them from the tarball).  Its schemas are JSON Schema 2020-12
// with two OpenAPI 3.0 leftovers: `nullable: true` (read as "or null",
// which is what the authors meant: chunks' finish_reason is null until
// the last one) and `discriminator` (ignored: the anyOf/oneOf it sits
// on decides).
//
// Error answers (4xx/5xx) are checked against ErrorResponse whatever the
// operation lists: the 404s of DELETE and cancel of /responses/{id} name
// the bare Error, but the SDK reads body.error, as every real answer has
// it; the reference (openai-api.md 6.1) says to always wrap.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// ajv and js-yaml come from tests/node/node_modules, or from beside the
// SDK VENNA_OPENAI_SDK names (make distcheck: a tarball without
// node_modules; .ci/run points it at the clone's).
const here = path.dirname(fileURLToPath(import.meta.url));
const sdk = process.env.VENNA_OPENAI_SDK;
const require = createRequire(sdk ?
    path.join(path.dirname(sdk), '..', '..', 'x.js') :
    path.join(here, 'x.js'));
const Ajv2020 = require('ajv/dist/2020').default;
const yaml = require('js-yaml');

export const specPath = process.env.VENNA_OPENAPI ||
    path.join(here, 'openapi.yaml');

// Bodies quoted in messages are cut here: a message names the value,
// it does not reprint a 100 kB file.
const QUOTE_MAX = 200;
// At most this many distinct errors per answer in a message.
const ERRORS_MAX = 3;

// OpenAPI 3.0's `nullable: true` beside a $ref or a type becomes an
// anyOf with null, in place; a property *named* nullable (an object
// value) is left alone.
function denull(node) {
	if (Array.isArray(node)) {
		node.forEach(denull);
		return node;
	}
	if (node === null || typeof node !== 'object')
		return node;
	for (const k of Object.keys(node))
		node[k] = denull(node[k]);
	if (typeof node.nullable !== 'boolean')
		return node;
	const nullable = node.nullable;
	delete node.nullable;
	if (!nullable)
		return node;
	const inner = { ...node };
	for (const k of Object.keys(node))
		delete node[k];
	node.anyOf = [inner, { type: 'null' }];
	return node;
}

// A union (anyOf, oneOf) whose every branch requires its own constant
// `type` (the Responses API's items, content parts, stream events) is
// rewritten, in place, into "type is one of these; if it is this one,
// then that branch": the same answers pass, and a failure names what is
// wrong with the branch the answer chose instead of why each of fifty
// other branches does not fit.
function discriminate(doc) {
	const deref = (s) => {
		for (let i = 0; s && s.$ref && i < 32; i++)
			s = at(doc, s.$ref.slice(1));
		return s;
	};
	const tagOf = (b) => {
		const s = deref(b);
		if (!s || typeof s !== 'object')
			return undefined;
		const t = deref(s.properties?.type);
		const v = t && ('const' in t ? t.const : Array.isArray(t.enum) &&
		    t.enum.length === 1 ? t.enum[0] : undefined);
		if (typeof v === 'string' && (s.required ?? []).includes('type'))
			return v;
		for (const m of s.allOf ?? []) {
			const x = tagOf(m);
			if (x !== undefined)
				return x;
		}
		return undefined;
	};
	const seen = new Set();
	const walk = (node) => {
		if (node === null || typeof node !== 'object' || seen.has(node))
			return;
		seen.add(node);
		for (const v of Object.values(node))
			walk(v);
		for (const k of ['anyOf', 'oneOf']) {
			const bs = node[k];
			if (!Array.isArray(bs) || bs.length < 2)
				continue;
			const tags = bs.map(tagOf);
			if (tags.some((t) => t === undefined) ||
			    new Set(tags).size !== tags.length)
				continue;
			const when = (t) => ({ type: 'object', required: ['type'],
			    properties: { type: { const: t } } });
			node.allOf = [...(node.allOf ?? []),
			    { type: 'object', required: ['type'],
				properties: { type: { enum: tags } } },
			    ...bs.map((b, i) => ({ if: when(tags[i]), then: b }))];
			delete node[k];
		}
	};
	walk(doc.components.schemas);
	return doc;
}

// A path template as a regular expression; literal segments count, so
// /responses/input_tokens wins over /responses/{response_id}.
function compileTemplate(t) {
	const segs = t.split('/').slice(1);
	const re = new RegExp('^/' + segs.map((s) => /^\{[^}]+\}$/.test(s) ?
	    '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('/') + '$');
	return { re, literal: segs.filter((s) => !s.startsWith('{')).length };
}

const quote = (v) => {
	const s = v === undefined ? 'nothing' : JSON.stringify(v);
	return s.length > QUOTE_MAX ? s.slice(0, QUOTE_MAX) + '...' : s;
};

function at(data, pointer) {
	let v = data;
	for (const raw of pointer.split('/').slice(1)) {
		const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
		if (v === null || typeof v !== 'object')
			return undefined;
		v = v[k];
	}
	return v;
}

// What Ajv found, as "pointer what-is-wrong, got value" phrases: the
// deepest first, at most ERRORS_MAX of them.  The summaries of unions
// and of if/then (the branches say it better) are left out, and the
// types a value may have at one pointer are said once ("must be string
// or null").  When a union is not discriminated (discriminate() above),
// a branch that wanted another `type`, `object` or `role` says nothing
// about what is wrong either.
function explain(errors, data) {
	const discr = /\/(type|object|role)$/;
	let es = errors.filter((e) => !((e.keyword === 'enum' ||
	    e.keyword === 'const') && discr.test(e.instancePath)));
	if (es.length === 0)
		es = errors;
	const summaries = new Set(['anyOf', 'oneOf', 'if']);
	const leaves = es.filter((e) => !summaries.has(e.keyword));
	if (leaves.length)
		es = leaves;
	const depth = (e) => e.instancePath.split('/').length +
	    (e.keyword === 'required' ? 1 : 0);
	es = [...es].sort((a, b) => depth(b) - depth(a));
	const types = new Map();
	for (const e of es)
		if (e.keyword === 'type')
			types.set(e.instancePath, [...new Set([
			    ...(types.get(e.instancePath) ?? []),
			    ...[e.params.type].flat()])]);
	const seen = new Set(), out = [];
	for (const e of es) {
		let ptr = e.instancePath || '';
		let what = e.message;
		if (e.keyword === 'required') {
			ptr += '/' + e.params.missingProperty;
			what = 'is required';
		} else if (e.keyword === 'type') {
			what = 'must be ' + types.get(ptr).join(' or ');
		} else if (e.keyword === 'enum') {
			what += ' ' + JSON.stringify(e.params.allowedValues);
		} else if (e.keyword === 'const') {
			what += ' ' + JSON.stringify(e.params.allowedValue);
		}
		const line = `${ptr || '/'} ${what}, got ` +
		    quote(e.keyword === 'required' ? undefined : at(data, ptr));
		if (!seen.has(line)) {
			seen.add(line);
			out.push(line);
		}
	}
	const more = out.length > ERRORS_MAX ?
	    ` (and ${out.length - ERRORS_MAX} more)` : '';
	return out.slice(0, ERRORS_MAX).join('; ') + more;
}

function json(text) {
	try {
		return typeof text === 'string' ? JSON.parse(text) : undefined;
	} catch (e) {
		return undefined;
	}
}

// Where the document and the SDK disagree, the answer the SDK needs is
// turned into the one the document describes before it is checked, so
// that it is still checked whole.  One case:
//
// createEmbedding: the SDK asks for encoding_format "base64" unless told
// otherwise, and decodes the string itself; the document types
// data[].embedding as an array of numbers only.  A string that is the
// base64 of little-endian float32s becomes that array; anything else is
// left for the schema to refuse.
function sdkGaps(operationId, request, data) {
	if (operationId !== 'createEmbedding' ||
	    json(request)?.encoding_format !== 'base64' ||
	    !Array.isArray(data?.data))
		return;
	for (const e of data.data) {
		if (typeof e?.embedding !== 'string')
			continue;
		const b = Buffer.from(e.embedding, 'base64');
		if (b.length % 4 !== 0 || b.toString('base64') !== e.embedding)
			continue;
		const f = [];
		for (let i = 0; i < b.length; i += 4)
			f.push(b.readFloatLE(i));
		e.embedding = f;
	}
}

let cached;

export async function validator() {
	if (cached)
		return cached;
	const doc = discriminate(denull(yaml.load(fs.readFileSync(specPath,
	    'utf8'))));
	const ajv = new Ajv2020({ strict: false, allErrors: true,
	    validateSchema: false, discriminator: false,
	    formats: {
		unixtime: { type: 'number', validate: (n) => n >= 0 },
		int64: { type: 'number', validate: Number.isInteger },
		double: true, float: true, binary: true, png: true,
		date: /^\d{4}-\d\d-\d\d$/,
		uri: (s) => URL.canParse(s),
	    } });
	// Only the schemas: their $refs (#/components/schemas/...) resolve
	// the same, and Ajv need not walk the paths and their examples.
	ajv.addSchema({ components: { schemas: doc.components.schemas } },
	    'openapi');
	// The versions of each path under a query (?beta=true) are other
	// operations on the same path; the plain one is the API's.
	const ops = [];
	for (const [t, item] of Object.entries(doc.paths)) {
		if (t.includes('?'))
			continue;
		const { re, literal } = compileTemplate(t);
		for (const [m, op] of Object.entries(item))
			if (op && typeof op === 'object' && op.responses)
				ops.push({ method: m.toUpperCase(), template: t,
				    re, literal, op });
	}
	ops.sort((a, b) => b.literal - a.literal);
	const compiled = new Map();
	// What was checked, "operationId status" (and " stream"): the
	// tests assert that the answers they mean to check were.
	const seen = new Set();

	function schemaFn(ref) {
		if (!compiled.has(ref))
			compiled.set(ref, ajv.compile({ $ref: `openapi${ref}` }));
		return compiled.get(ref);
	}

	// The API path of a URL path: what follows the /v1 of the base URL
	// (/v1 or /venna/v1 in the tests).
	function apiPath(p) {
		p = p.replace(/[?#].*$/, '');
		const i = p.indexOf('/v1/');
		return i >= 0 ? p.slice(i + 3) : p;
	}

	function find(method, p) {
		const ap = apiPath(p);
		const o = ops.find((x) => x.method === method && x.re.test(ap));
		if (!o)
			return null;
		return { ...o, name: `${method} ${o.template} ` +
		    `(${o.op.operationId})` };
	}

	// The schema ref for (operation, status, media type), or a reason
	// there is none.
	function refFor(o, status, media) {
		if (status >= 400)
			return { ref: '#/components/schemas/ErrorResponse' };
		let r = o.op.responses[String(status)] ??
		    o.op.responses[`${String(status)[0]}XX`] ??
		    o.op.responses.default;
		if (r?.$ref)
			r = at(doc, r.$ref.slice(1));
		if (!r)
			return { why: `status ${status} is not in the document` };
		const content = r.content ?? {};
		const c = content[media];
		if (!c) {
			// GET /files/{id}/content: the document types the
			// body as a JSON string; the body is the file.
			const j = content['application/json'];
			if (j && j.schema?.type === 'string' &&
			    !media.includes('json'))
				return { raw: true };
			if (Object.keys(content).length === 0)
				return { any: true };
			return { why: `content type ${media} is not in the ` +
			    `document (${Object.keys(content).join(', ')})` };
		}
		const s = c.schema;
		if (s?.$ref)
			return { ref: s.$ref };
		return { schema: s };
	}

	function validate(name, ref, data) {
		const fn = ref.ref ? schemaFn(ref.ref) : ajv.compile(ref.schema);
		if (fn(data))
			return [];
		const what = ref.ref ? ref.ref.split('/').pop() : 'schema';
		return [`openapi: ${name} ${what}: ${explain(fn.errors, data)}`];
	}

	function mediaOf(ct) {
		return (ct || '').split(';')[0].trim().toLowerCase();
	}

	// check: a whole (non-stream) answer; request is the JSON text the
	// call sent, if any.
	function check(method, p, status, contentType, text, request) {
		const o = find(method, p);
		if (!o)
			return [`openapi: ${method} ${apiPath(p)} is no ` +
			    'operation of the document'];
		const media = mediaOf(contentType) || 'application/json';
		const ref = refFor(o, status, media);
		const where = `${o.name} ${status}`;
		seen.add(`${o.op.operationId} ${status}`);
		if (ref.why)
			return [`openapi: ${where}: ${ref.why}`];
		if (ref.raw)
			return [];
		let data;
		try {
			data = JSON.parse(text);
		} catch (e) {
			return [`openapi: ${where}: the body is not JSON: ` +
			    quote(String(text))];
		}
		if (ref.any)
			return [];
		if (status < 400)
			sdkGaps(o.op.operationId, request, data);
		return validate(where, ref, data);
	}

	// stream: the events of a text/event-stream answer, one data field
	// at a time.  Chat completions end with "[DONE]", the only data that
	// is not JSON, or with an in-band {"error": ...}: what the SDK raises
	// (and what OpenAI sends mid-stream), which the document does not
	// model; it is held to ErrorResponse and must be the last event.  The
	// Responses API has its error event in its union and sends no [DONE].
	function stream(method, p, status) {
		const o = find(method, p);
		const bad = [];
		if (!o) {
			bad.push(`openapi: ${method} ${apiPath(p)} is no ` +
			    'operation of the document');
			return { event: () => bad, end: () => [] };
		}
		const where = `${o.name} ${status} event`;
		seen.add(`${o.op.operationId} ${status} stream`);
		const ref = refFor(o, status, 'text/event-stream');
		const chat = o.op.operationId === 'createChatCompletion';
		let n = 0, done = false, failed = false;
		return {
			event(text) {
				n++;
				if (ref.why)
					return n === 1 ? [`openapi: ${o.name} ` +
					    `${status}: ${ref.why}`] : [];
				if (done || failed)
					return [`openapi: ${where} ${n}: data ` +
					    `after ${done ? '[DONE]' : 'an error'}: ` +
					    quote(text)];
				if (text === '[DONE]') {
					done = true;
					return chat ? [] : [`openapi: ${where} ` +
					    `${n}: [DONE] is no event of this ` +
					    'operation'];
				}
				let data;
				try {
					data = JSON.parse(text);
				} catch (e) {
					return [`openapi: ${where} ${n}: not ` +
					    `JSON: ${quote(text)}`];
				}
				failed = chat && data !== null && typeof data ===
				    'object' && 'error' in data &&
				    !('object' in data);
				return validate(`${where} ${n}`, failed ?
				    { ref: '#/components/schemas/ErrorResponse' } :
				    ref, data);
			},
			end() {
				if (chat && !done && !failed && !ref.why)
					return [`openapi: ${where}s: the stream ` +
					    'ended without [DONE] or an error'];
				return [];
			},
		};
	}

	cached = { check, stream, find, seen };
	return cached;
}

// An SSE decoder: feed it text, it calls back with each event's data
// (the data lines joined by \n) when a blank line closes the event, as
// the SDK's decoder does.
export function sseDecoder(onData) {
	let buf = '', data = [];
	function line(l) {
		if (l === '') {
			if (data.length)
				onData(data.join('\n'));
			data = [];
			return;
		}
		if (l.startsWith(':'))
			return;
		const i = l.indexOf(':');
		const field = i < 0 ? l : l.slice(0, i);
		let value = i < 0 ? '' : l.slice(i + 1);
		if (value.startsWith(' '))
			value = value.slice(1);
		if (field === 'data')
			data.push(value);
	}
	return {
		push(text) {
			buf += text;
			let m;
			while ((m = /\r\n|\n|\r/.exec(buf)) !== null) {
				// A lone \r at the end may be half of \r\n.
				if (m[0] === '\r' && m.index === buf.length - 1)
					break;
				line(buf.slice(0, m.index));
				buf = buf.slice(m.index + m[0].length);
			}
		},
		// The stream ended: the text of an event no blank line
		// closed (the SDK drops it), or ''.
		end() {
			if (buf !== '')
				line(buf);
			const left = data.join('\n');
			buf = '';
			data = [];
			return left;
		},
	};
}
