// validate.mjs: check one answer of the gateway against the OpenAPI
// document, for the shell tests (the SDK tests check theirs in
// common.mjs).
//
//   node validate.mjs METHOD PATH STATUS [CONTENT-TYPE] < body
//
// PATH is the request's path (/v1/files/file-x, or the whole URL).  The
// body is a stream of events when CONTENT-TYPE says text/event-stream,
// or, without CONTENT-TYPE, when it starts like one ("data:", "event:",
// ":"); else JSON.  Exit 0: it conforms; 1: it does not, the reasons on
// stderr, one a line; 2: usage.
import fs from 'node:fs';
import { sseDecoder, validator } from './openapi.mjs';

const [method, where, status, ctype] = process.argv.slice(2);
if (!method || !where || !/^[1-5][0-9][0-9]$/.test(status ?? '')) {
	process.stderr.write('usage: node validate.mjs METHOD PATH STATUS ' +
	    '[CONTENT-TYPE] < body\n');
	process.exit(2);
}
const p = /^https?:/.test(where) ? new URL(where).pathname : where;
const body = fs.readFileSync(0, 'utf8');
const v = await validator();
const sse = ctype ? /^text\/event-stream/i.test(ctype) :
    /^(data|event|id|retry)?:/.test(body);
let bad = [];
if (sse) {
	const s = v.stream(method.toUpperCase(), p, Number(status));
	const dec = sseDecoder((d) => bad.push(...s.event(d)));
	dec.push(body);
	const left = dec.end();
	if (left)
		bad.push(`openapi: ${method} ${p}: the stream ended inside an ` +
		    `event: ${left.slice(0, 200)}`);
	bad.push(...s.end());
} else {
	bad = v.check(method.toUpperCase(), p, Number(status),
	    ctype || 'application/json', body);
}
for (const m of bad)
	process.stderr.write(m + '\n');
process.exit(bad.length ? 1 : 0);
