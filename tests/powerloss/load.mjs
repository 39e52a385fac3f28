// load.mjs: the client of a power-loss round.  Keeps chat completions
// (every other one a stream) and uploads in flight until SIGTERM, and
// appends one line to OUT the moment the client has seen a request
// succeed, so that the list is complete whenever the servers die:
//
//   chat REQUEST_ID MS        a completion answered 200; a stream only
//                             once its [DONE] arrived
//   file FILE_ID SHA256 BYTES MS   an upload answered 200
//
// MS is the time (Date.now()) the success was seen.  Usage:
//
//   node load.mjs BASE_URL KEY OUT MODEL [CHATS [UPLOADS [SEED]]]
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const [base, key, out, model, chats = '4', uploads = '2', seed = '1'] =
    process.argv.slice(2);
const u = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const fd = fs.openSync(out, 'a');
let stop = false;
let n = 0;
let state = Number(seed) >>> 0 || 1;

// xorshift32: the upload sizes follow the seed.
function rand(max) {
	state ^= state << 13;
	state >>>= 0;
	state ^= state >>> 17;
	state ^= state << 5;
	state >>>= 0;
	return state % max;
}

function record(line) {
	fs.writeSync(fd, line + '\n');
}

function request(method, path, headers, body) {
	return new Promise((resolve) => {
		const req = http.request({
			host: u.hostname, port: u.port, method, agent,
			path: u.pathname + path,
			headers: { authorization: `Bearer ${key}`, ...headers },
		}, (r) => {
			const parts = [];
			r.on('data', (c) => parts.push(c));
			r.on('end', () => resolve({ status: r.statusCode,
			    headers: r.headers,
			    body: Buffer.concat(parts).toString() }));
			r.on('error', () => resolve({ status: 0 }));
		});
		req.on('error', () => resolve({ status: 0 }));
		req.end(body);
	});
}

async function chat(stream) {
	const body = JSON.stringify({ model, stream, messages: [{ role: 'user',
	    content: `power words ${++n}` }] });
	const r = await request('POST', '/chat/completions',
	    { 'content-type': 'application/json' }, body);
	if (r.status !== 200)
		return;
	if (stream && !/^data: \[DONE\]$/m.test(r.body))
		return;
	record(`chat ${r.headers['x-request-id']} ${Date.now()}`);
}

async function upload() {
	const size = 1 + rand(192 * 1024);
	const content = crypto.randomBytes(Math.ceil(size * 3 / 4))
	    .toString('base64').slice(0, size);
	const bnd = 'powerloss' + crypto.randomBytes(8).toString('hex');
	const body = Buffer.concat([
		Buffer.from(`--${bnd}\r\nContent-Disposition: form-data; ` +
		    `name="purpose"\r\n\r\nuser_data\r\n--${bnd}\r\n` +
		    'Content-Disposition: form-data; name="file"; ' +
		    'filename="p.txt"\r\nContent-Type: text/plain\r\n\r\n'),
		Buffer.from(content),
		Buffer.from(`\r\n--${bnd}--\r\n`),
	]);
	const r = await request('POST', '/files', {
		'content-type': `multipart/form-data; boundary=${bnd}`,
		'content-length': body.length,
	}, body);
	if (r.status !== 200)
		return;
	let id;
	try {
		id = JSON.parse(r.body).id;
	} catch {
		return;
	}
	const sum = crypto.createHash('sha256').update(content).digest('hex');
	record(`file ${id} ${sum} ${size} ${Date.now()}`);
}

async function loop(fn) {
	let i = 0;
	while (!stop) {
		await fn(i++);
		// A server that is gone answers at once: do not spin; and
		// leave the machine's cores to the servers (make check runs
		// tests side by side).
		await new Promise((r) => setTimeout(r, 20));
	}
}

process.on('SIGTERM', () => { stop = true; });
const loops = [];
for (let i = 0; i < Number(chats); i++)
	loops.push(loop((k) => chat((k + i) % 2 === 1)));
for (let i = 0; i < Number(uploads); i++)
	loops.push(loop(upload));
await Promise.all(loops);
agent.destroy();
fs.closeSync(fd);
