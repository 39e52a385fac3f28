// load.mjs: a closed-loop HTTP load client for the integration tests
// (not the benchmark: bench/ uses wrk).  Keeps CONCURRENCY requests in
// flight until DURATION_MS has passed or TOTAL requests were sent, then
// prints one JSON line: {"sent", "ok", "failed", "statuses", "errors"}.
//
//   node load.mjs URL KEY CONCURRENCY DURATION_MS [TOTAL] [BODY] [IDS]
//
// With IDS, the x-request-id of every 200 is appended to that file: the
// requests the client saw succeed.
import fs from 'node:fs';
import http from 'node:http';

const [url, key, conc, dur, total, body, idsfile] = process.argv.slice(2);
const ids = [];
const u = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(conc) });
const deadline = Date.now() + Number(dur);
const limit = total && total !== '-' ? Number(total) : Infinity;
const res = { sent: 0, ok: 0, failed: 0, statuses: {}, errors: {} };

function one() {
	return new Promise((resolve) => {
		const req = http.request({
			host: u.hostname, port: u.port, path: u.pathname + u.search,
			method: body ? 'POST' : 'GET', agent,
			headers: { authorization: `Bearer ${key}`,
			    'content-type': 'application/json' },
		}, (r) => {
			r.resume();
			r.on('end', () => {
				res.statuses[r.statusCode] =
				    (res.statuses[r.statusCode] || 0) + 1;
				if (r.statusCode === 200) {
					res.ok++;
					ids.push(r.headers['x-request-id']);
				} else
					res.failed++;
				resolve();
			});
		});
		req.on('error', (e) => {
			res.errors[e.code] = (res.errors[e.code] || 0) + 1;
			res.failed++;
			resolve();
		});
		if (body) req.write(body);
		req.end();
	});
}

async function loop() {
	while (Date.now() < deadline && res.sent < limit) {
		res.sent++;
		await one();
	}
}

await Promise.all(Array.from({ length: Number(conc) }, loop));
agent.destroy();
if (idsfile)
	fs.writeFileSync(idsfile, ids.join('\n') + '\n');
console.log(JSON.stringify(res));
