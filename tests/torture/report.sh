#!/bin/sh
# report.sh RESULTS: the coverage table of a torture sweep, in
# Markdown, from torture.sh's results (tab-separated lines: "sync op fn
# K count" for the counting runs, "sync op fn mode n outcome answer
# site problems" for the others).
set -u
results=$1
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null |
    grep -q . && echo " (with local changes)")

cat <<EOF
# Fault torture

Written by \`make torture\` (tests/torture/torture.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'),
commit $commit$dirty, $(uname -sm), $(nproc) CPUs.

Each operation is run once to count the calls it makes (K, per
function), then once per N with the N-th call failing: every N up to
the cap, beyond it the first N of every call site, then the last, then
evenly spaced ones.  Modes: \`once\` (call N fails: ENOSPC for writes,
ENOMEM for allocations, EIO otherwise), \`torn\` (call N writes or
reads half its bytes and returns the short count), \`from\` (call N
and every later one fail).  Outcomes: **ok** (the operation
succeeded), **clean** (a clean error: an OpenAI envelope, a non-zero
exit with a message), **library** (a crash inside libfcgi or json-c,
the two known library cases, contained: the master starts a new
worker), **violation** (an invariant broken, a crash of ours, a hang),
**unreached** (the run made fewer than N calls).

EOF

awk -F'\t' '
$4 == "K" { k[$1 SUBSEP $2 SUBSEP $3] = $5; next }
$3 == "sweep" { sweep[$1 SUBSEP $2] = $9; next }
{
	key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	if (!(key in tried)) order[++n] = key
	tried[key]++
	out[key, $6]++
	total[$6]++
	runs++
}
END {
	print "| sync | operation | function | K | mode | N tried | ok | clean | library | violation | unreached |"
	print "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for (i = 1; i <= n; i++) {
		split(order[i], f, SUBSEP)
		kk = k[f[1] SUBSEP f[2] SUBSEP f[3]]
		v = out[order[i], "violation"] + 0
		printf "| %s | %s | %s | %s | %s | %d | %d | %d | %d | %s | %d |\n",
		    f[1], f[2], f[3], kk, f[4], tried[order[i]],
		    out[order[i], "ok"], out[order[i], "clean"],
		    out[order[i], "library"], v ? "**" v "**" : "0",
		    out[order[i], "unreached"]
	}
	printf "\n%d runs: %d ok, %d clean, %d library, %d violation, %d unreached.\n",
	    runs, total["ok"], total["clean"], total["library"],
	    total["violation"], total["unreached"]
	printf "Functions an operation never calls (K = 0) are not listed.\n"
	ns = 0
	for (s in sweep) ns++
	if (ns > 0) {
		print "\nAfter the sweep of venna-batch:"
		for (s in sweep) {
			split(s, f, SUBSEP)
			print "- " f[1] " " f[2] ": " sweep[s]
		}
	}
}' "$results"

echo
echo "## Violations"
echo
echo "Grouped by where the fault struck; each with one command that"
echo "reproduces it (from the build directory)."
echo
awk -F'\t' '
$6 == "violation" && $3 != "sweep" {
	key = $1 " " $2 " " $3 " " $4 " @ " ($8 != "" ? $8 : "?")
	if (!(key in seen)) { order[++n] = key; first[key] = $0 }
	seen[key] = seen[key] (seen[key] != "" ? "," : "") $5
}
END {
	if (n == 0) { print "None."; exit }
	for (i = 1; i <= n; i++) {
		split(first[order[i]], f, "\t")
		ns = seen[order[i]]
		if (length(ns) > 60) ns = substr(ns, 1, 60) "..."
		printf "- **%s %s, %s %s** (N = %s) at `%s`: %s (answer: %s).  \n", f[1], f[2], f[3], f[4], ns, f[8] != "" ? f[8] : "?", f[9], f[7]
		printf "  `tests/torture/torture.sh --sync %s --op %s --fn %s --mode %s --n %s`\n", f[1], f[2], f[3], f[4], f[5]
	}
}' "$results"

echo
echo "## Library outcomes"
echo
awk -F'\t' '
$6 == "library" {
	key = $2 " " $3 " " $4 ": " $7
	if (!(key in seen)) order[++n] = key
	seen[key] = seen[key] (seen[key] != "" ? "," : "") $5
}
END {
	if (n == 0) { print "None."; exit }
	for (i = 1; i <= n; i++) {
		ns = seen[order[i]]
		if (length(ns) > 60) ns = substr(ns, 1, 60) "..."
		printf "- %s (N = %s)\n", order[i], ns
	}
}' "$results"
