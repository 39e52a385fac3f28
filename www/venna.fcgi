#!/bin/sh
# venna.fcgi: what mod_fcgid runs for Venna on shared hosting (see the
# .htaccess beside it).  mod_fcgid hands the process a listening socket
# on fd 0 and sends it one request at a time, hence one request thread;
# "exec" keeps that socket where venna-fcgi looks for it.  Change the two
# paths to where Venna is installed, e.g. after
#   ./configure --prefix=$HOME/venna && make && make install
# Keep this file mode 755 and writable by you alone (suexec checks).
exec /home/example/venna/bin/venna-fcgi \
    -c /home/example/venna/etc/venna.conf -t 1
