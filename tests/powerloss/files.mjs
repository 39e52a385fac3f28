// files.mjs: after a power cut, what became of the uploads the client
// saw succeed (the "file" lines of load.mjs's output).  Each is asked
// for through the API, object and content, and printed as one line:
//
//   same ID           listed, and its content is byte for byte the upload
//   absent ID MS      not there at all (404 for both)
//   differs ID WHY    listed, but its content is missing or not the upload
//
//   node files.mjs BASE_URL KEY OKFILE
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const [base, key, okfile] = process.argv.slice(2);
const u = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function get(path) {
	return new Promise((resolve) => {
		const req = http.get({
			host: u.hostname, port: u.port, agent,
			path: u.pathname + path,
			headers: { authorization: `Bearer ${key}` },
		}, (r) => {
			const parts = [];
			r.on('data', (c) => parts.push(c));
			r.on('end', () => resolve({ status: r.statusCode,
			    body: Buffer.concat(parts) }));
		});
		req.on('error', (e) => resolve({ status: 0, body:
		    Buffer.from(e.message) }));
	});
}

async function one(id, sum, bytes, ms) {
	const o = await get(`/files/${id}`);
	const c = await get(`/files/${id}/content`);
	if (o.status === 404 && c.status === 404)
		return `absent ${id} ${ms}`;
	if (o.status !== 200)
		return `differs ${id} object:${o.status}`;
	let listed;
	try {
		listed = JSON.parse(o.body.toString()).bytes;
	} catch {
		return `differs ${id} object-not-json`;
	}
	if (listed !== Number(bytes))
		return `differs ${id} bytes:${listed}/${bytes}`;
	if (c.status !== 200)
		return `differs ${id} content:${c.status}`;
	const got = crypto.createHash('sha256').update(c.body).digest('hex');
	if (got !== sum)
		return `differs ${id} sha256:${c.body.length}B`;
	return `same ${id}`;
}

const todo = fs.readFileSync(okfile, 'utf8').split('\n')
    .filter((l) => l.startsWith('file ')).map((l) => l.split(' '));
const out = [];
async function worker() {
	while (todo.length > 0) {
		const [, id, sum, bytes, ms] = todo.shift();
		out.push(await one(id, sum, bytes, ms));
	}
}
await Promise.all(Array.from({ length: 8 }, worker));
agent.destroy();
if (out.length > 0)
	console.log(out.join('\n'));
