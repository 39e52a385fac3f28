#!/bin/bash
# normal.sh: with synchronous = normal (the default), a power cut loses
# only what was answered since the database's last sync (the
# checkpointer imports the usage journals, then syncs, once a second),
# and never more: integrity_check ok, no usage row twice, a completion
# or upload the client saw succeed before that sync (less a second, the
# import's interval) is there, byte-identical, every listed file has its
# content, the orphan sweep takes every content left without a row,
# every batch completes with each line once in its output and billed
# once; in most rounds that sync was at most 2 s before the cut; and a
# journal the cut left shorter than its imported offset is deleted all
# the same.  The same rounds as full.sh.
PL_SYNC=normal
. "${top_srcdir:-.}/tests/powerloss/lib.sh"

pl_setup || { echo "Bail out! setup"; exit 1; }
for r in $(seq 1 "$PL_ROUNDS"); do
	pl_round "$r"
done
pl_sync_check
pl_journals_check
tap_done
