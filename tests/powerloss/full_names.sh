#!/bin/bash
# full_names.sh: synchronous = full on a file system that keeps a new
# name only once its directory is synced (POSIX, and fsync(2) on Linux:
# "an explicit fsync() on a file descriptor for the directory is also
# needed"; ext4 and XFS happen to keep a new file's name with its first
# fsync, other file systems need not).  Each cut undoes every name added
# since its directory's last fsync, with all unsynced data (powercut
# -n -z), and Venna is held to full's promises in rounds as full.sh's:
# a new usage journal's name is synced into ledger/ before its first
# row, the database's names by SQLite, an upload's in its shard.
PL_SYNC=full
PL_CUT=-n
PL_WORST_EVERY=1
: "${PL_ROUNDS:=2}"
. "${top_srcdir:-.}/tests/powerloss/lib.sh"

pl_setup || { echo "Bail out! setup"; exit 1; }

for r in $(seq 1 "$PL_ROUNDS"); do
	pl_round "$r"
done
tap_done
