#!/bin/bash
# manpages.sh: the manual pages say what the programs do.
#  - each page formats without a warning (groff -mdoc -ww);
#  - the SYNOPSIS of venna-fcgi(8), vennactl(8) and venna-batch(8), as
#    formatted, is the program's usage text, line for line;
#  - venna.conf(5) has one item per option of src/cfg.c's tables, under
#    the right section, with the table's default, and none other.
. "${top_srcdir:-.}/tests/stack.sh"

: "${GROFF:=$(command -v groff)}"
require groff "$GROFF"
require node "$NODE"

man="$top_srcdir/man"
render() {
	"$GROFF" -mdoc -Tascii -P-cbou -rLL=400n -ww "$1" 2>/dev/null
}
# The SYNOPSIS lines of a formatted page, blanks squeezed.
synopsis() {
	render "$1" | awk '/^SYNOPSIS/ { on = 1; next } /^[A-Z]/ { on = 0 }
	    on && NF { $1 = $1; print }'
}
# The usage text of a program, without "usage:", blanks squeezed.
usage_of() {
	"$@" -Z 2>&1 >/dev/null | awk '/^usage: / { on = 1; sub(/^usage: /, "") }
	    on { $1 = $1; print }'
}

for page in venna-fcgi.8 venna-batch.8 vennactl.8 venna.conf.5; do
	warn=$("$GROFF" -mdoc -Tascii -ww -z "$man/$page" 2>&1)
	is "$warn" "" "$page formats without warnings"
done

for prog in venna-fcgi vennactl venna-batch; do
	if [ ! -x "$top_builddir/$prog" ]; then
		ok "# SKIP $prog is not built"
		continue
	fi
	want=$(usage_of "$top_builddir/$prog")
	got=$(synopsis "$man/$prog.8")
	is "$got" "$want" "the SYNOPSIS of $prog(8) is its usage text"
	check "  which is not empty" [ -n "$want" ]
done

# Every option of the tables of src/cfg.c, with its default, against
# the items of venna.conf(5).
# The node script prints "ok<TAB>what" or "not ok<TAB>what<TAB>why".
while IFS=$'\t' read -r verdict what why; do
	if [ "$verdict" = ok ]; then
		ok "$what"
	else
		not_ok "$what"
		[ -n "$why" ] && echo "#   $why"
	fi
done < <("$NODE" - "$top_srcdir/src/cfg.c" "$man/venna.conf.5" <<'EOF'
const fs = require('fs');
const [cfgc, page] = process.argv.slice(2);
const src = fs.readFileSync(cfgc, 'utf8');
const man = fs.readFileSync(page, 'utf8').split('\n');
const sections = { server: 'The [server] section',
    upstream: 'The [upstream NAME] sections',
    model: 'The [model NAME] sections' };
const ok = (c, what, why) =>
	console.log([c ? 'ok' : 'not ok', what, c ? '' : why || ''].join('\t'));

// The tables: name and default text of every entry.
const tables = {};
for (const m of src.matchAll(/static const struct opt (\w+)_opts\[\] = \{([\s\S]*?)\n\};/g)) {
	tables[m[1]] = [];
	for (const e of m[2].matchAll(/\{\s*"([^"]+)",([\s\S]*?)\}/g)) {
		const last = e[2].split(',').pop().trim();
		let def = null;
		if (last !== 'NULL')
			def = last.replace(/LOCALSTATEDIR\s*/, '"/usr/local/var" ')
			    .match(/"([^"]*)"/g).map((s) => s.slice(1, -1)).join('');
		tables[m[1]].push({ name: e[1], def });
	}
}
ok(Object.keys(sections).every((t) => tables[t]?.length > 0),
    'src/cfg.c has the server, upstream and model tables');

// The page: subsection -> { option -> text of its item }.
const items = {};
let ss = null, cur = null;
for (const line of man) {
	let m;
	if ((m = line.match(/^\.Ss (.*)/))) {
		ss = m[1];
		items[ss] = {};
		cur = null;
	} else if (ss && (m = line.match(/^\.It Ic (\w+)/))) {
		cur = m[1];
		items[ss][cur] = '';
	} else if (/^\.(El|Sh)/.test(line)) {
		cur = null;
	} else if (ss && cur) {
		items[ss][cur] += line + '\n';
	}
}
for (const [t, title] of Object.entries(sections)) {
	const doc = items[title] || {};
	for (const o of tables[t] || []) {
		const text = doc[o.name];
		ok(text !== undefined, `venna.conf(5) documents ${o.name} under "${title}"`);
		if (text === undefined || o.def === null)
			continue;
		const want = `Default: ${o.def === '' ? 'none' : o.def}.`;
		ok(text.includes(want), `  ${want}`,
		    `the item says: ${text.replace(/\n/g, ' ').trim()}`);
	}
	for (const name of Object.keys(doc))
		ok((tables[t] || []).some((o) => o.name === name),
		    `${name} under "${title}" is an option of src/cfg.c`);
}
EOF
)
tap_done
