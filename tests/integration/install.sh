#!/bin/bash
# install.sh: `make install DESTDIR=...` from the build tree lays out
# what a packager expects, under the configured directories:
#   $bindir            venna-fcgi, vennactl, venna-batch (when built)
#   $mandir/man8, man5 the manual pages, with the configured paths
#   $sysconfdir        venna.conf.sample (never a venna.conf)
#   $docdir/examples   the web server and cron samples, www/ for
#                      shared hosting (.htaccess, venna.fcgi)
#   $localstatedir/lib/venna   empty, mode 0750
# the installed programs run, the crontab sample's line works as given
# (paths changed), and `make uninstall` removes every file.
. "${top_srcdir:-.}/tests/stack.sh"

: "${MAKE:=make}"
require make "$(command -v "$MAKE")"
require node "$NODE"

stack_new
dest="$STACK/dest"
mkdir -p "$dest"
dirs=$(printf 'venna-show-dirs:\n\t@echo "venna-dirs|$(bindir)|$(sysconfdir)|$(localstatedir)|$(mandir)|$(docdir)"\n' |
    env -u MAKEFLAGS -u MFLAGS "$MAKE" -s --no-print-directory \
    -C "$top_builddir" -f Makefile -f - venna-show-dirs 2>/dev/null |
    sed -n 's/^venna-dirs|//p')
IFS='|' read -r bindir sysconfdir localstatedir mandir docdir <<<"$dirs"
echo "# bindir=$bindir sysconfdir=$sysconfdir localstatedir=$localstatedir"
echo "# mandir=$mandir docdir=$docdir"
check "the configured directories are known" \
    eval '[ -n "$bindir" ] && [ -n "$sysconfdir" ] && [ -n "$docdir" ]'

inst() {
	env -u MAKEFLAGS -u MFLAGS "$MAKE" -s --no-print-directory \
	    -C "$top_builddir" "$@" DESTDIR="$dest" >>"$STACK/make.log" 2>&1
}
check "make install DESTDIR=... succeeds" inst install
check "  and again, over the first" inst install
[ "$tap_failed" -eq 0 ] || { cat "$STACK/make.log" | sed 's/^/# /'; }

d="$dest$bindir"
for p in venna-fcgi vennactl venna-batch; do
	if [ -x "$top_builddir/$p" ]; then
		check "$bindir/$p" [ -x "$d/$p" ]
	else
		check "$bindir/$p is not installed: it is not built" \
		    [ ! -e "$d/$p" ]
	fi
done
check "  the installed venna-fcgi runs" eval '"$d/venna-fcgi" -V | grep -q "^venna-fcgi "'
check "  and accepts the installed sample configuration" \
    eval '"$d/venna-fcgi" -n -c "$dest$sysconfdir/venna.conf.sample" | grep -q "configuration OK"'

for page in man8/venna-fcgi.8 man8/vennactl.8 man8/venna-batch.8 \
    man5/venna.conf.5; do
	check "$mandir/$page" [ -f "$dest$mandir/$page" ]
done
check "  the pages name the configured sysconfdir" \
    grep -q "^\.It Pa $sysconfdir/venna.conf\$" "$dest$mandir/man8/venna-fcgi.8"
check "  and localstatedir" \
    grep -q "^\.It Pa $localstatedir/lib/venna/venna.db\$" "$dest$mandir/man8/venna-fcgi.8"

check "$sysconfdir/venna.conf.sample" [ -f "$dest$sysconfdir/venna.conf.sample" ]
check "  and no venna.conf: make install never writes one" \
    [ ! -e "$dest$sysconfdir/venna.conf" ]
for f in nginx.conf.sample apache-fcgid.conf.sample lighttpd.conf.sample \
    venna-batch.cron.sample venna.logrotate.sample www/.htaccess; do
	check "$docdir/examples/$f" [ -f "$dest$docdir/examples/$f" ]
done
check "$docdir/examples/www/venna.fcgi, executable" \
    [ -x "$dest$docdir/examples/www/venna.fcgi" ]
check "$docdir/README.md" [ -f "$dest$docdir/README.md" ]

state="$dest$localstatedir/lib/venna"
check "$localstatedir/lib/venna" [ -d "$state" ]
is "$(stat -c %a "$state" 2>/dev/null)" 750 "  mode 0750"
is "$(find "$state" -mindepth 1 | wc -l)" 0 "  empty"

# The crontab sample: five time fields, the user, the command; run that
# command with only its paths changed, as that user.
line=$(grep -v '^#' "$top_srcdir/etc/venna-batch.cron.sample" |
    grep -E '^[^=]+$' | grep -v '^$')
set -f
# shellcheck disable=SC2086
set -- $line
set +f
is "$#" 9 "the crontab sample has one line: 5 time fields, user, command -c file"
is "$1 $2 $3 $4 $5" "* * * * *" "  every minute"
is "$6" "www-data" "  as www-data"
if [ -x "$d/venna-batch" ]; then
	stack_conf
	stack_init || { echo "Bail out! stack_init"; exit 1; }
	stack_give
	cmd=$(sed -e "s|^/usr/local/bin/|$d/|" <<<"$7")
	flag=$8
	cfg=$(sed -e "s|^/etc/venna/venna.conf\$|$STACK/venna.conf|" <<<"$9")
	check "  its command runs a pass and exits 0" \
	    eval 'as_www "$cmd" "$flag" "$cfg" 2>"$STACK/batch.err"'
	sed 's/^/# /' "$STACK/batch.err"
else
	ok "# SKIP venna-batch is not built"
fi

check "make uninstall DESTDIR=... succeeds" inst uninstall
left=$(find "$dest" -type f | sed "s|^$dest||")
is "$left" "" "  and leaves no file behind"
tap_done
