// sse_timing.mjs: when each event of a chat stream reaches the client,
// to tell a stream relayed token by token from one a web server held
// back and sent in a burst.  Asks the mock upstream (tests/mock) for
// CHUNKS content chunks INTERVAL_MS apart:
//
//   node sse_timing.mjs BASE_URL KEY MODEL CHUNKS INTERVAL_MS
//
// Prints one JSON line: {"status", "events" (data: events), "content"
// (events with a content delta), "done" (saw [DONE]), "text" (the
// content joined), "spread_ms" (first to last content event), "gaps_ms"
// (between successive content events)}.
const [base, key, model, chunks, interval] = process.argv.slice(2);
const out = { status: 0, events: 0, content: 0, done: false, text: '',
    spread_ms: 0, gaps_ms: [] };
const times = [];

const res = await fetch(`${base}/chat/completions`, {
	method: 'POST',
	headers: { authorization: `Bearer ${key}`,
	    'content-type': 'application/json' },
	body: JSON.stringify({ model, stream: true,
	    messages: [{ role: 'user', content: 'timing' }],
	    mock: { chunks: Number(chunks), interval: Number(interval) } }),
});
out.status = res.status;
const dec = new TextDecoder();
let pending = '';
for await (const piece of res.body) {
	const now = performance.now();
	pending += dec.decode(piece, { stream: true });
	let i;
	while ((i = pending.indexOf('\n\n')) !== -1) {
		const ev = pending.slice(0, i);
		pending = pending.slice(i + 2);
		for (const line of ev.split('\n')) {
			if (!line.startsWith('data: '))
				continue;
			out.events++;
			const data = line.slice(6);
			if (data === '[DONE]') {
				out.done = true;
				continue;
			}
			const c = JSON.parse(data).choices?.[0]?.delta?.content;
			if (typeof c === 'string' && c.length > 0) {
				out.content++;
				out.text += c;
				times.push(now);
			}
		}
	}
}
if (times.length > 1) {
	out.spread_ms = Math.round(times[times.length - 1] - times[0]);
	for (let i = 1; i < times.length; i++)
		out.gaps_ms.push(Math.round(times[i] - times[i - 1]));
}
console.log(JSON.stringify(out));
