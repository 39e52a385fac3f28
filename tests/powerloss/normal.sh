#!/bin/bash
# normal.sh: with synchronous = normal (the default), a power cut loses
# at most the last moments before it (PL_WINDOW_MS, 3 s: the
# checkpointer syncs the database and imports the usage journals once a
# second), and never more: integrity_check ok, no usage row twice, a
# completion or upload the client saw succeed earlier than that is
# there (byte-identical), every listed file has its content, the orphan
# sweep takes every content left without a row, every batch completes
# with each line once in its output and billed once.  The same rounds
# as full.sh.
PL_SYNC=normal
. "${top_srcdir:-.}/tests/powerloss/lib.sh"

pl_setup || { echo "Bail out! setup"; exit 1; }
for r in $(seq 1 "$PL_ROUNDS"); do
	pl_round "$r"
done
tap_done
