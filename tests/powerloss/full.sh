#!/bin/bash
# full.sh: with synchronous = full, a power cut loses nothing the client
# was told had succeeded.  Rounds of chat completions (streams among
# them), uploads and a batch pass through nginx, the power cut at a
# random moment (powerloss.so and powercut: each file keeps its synced
# state and a random prefix of its unsynced writes, some torn), then on
# the state left: integrity_check ok, every 200 completion has its
# usage row, every 200 upload is listed and byte-identical, no row
# twice, every listed file has its content, the orphan sweep leaves no
# content without a row, and every batch completes with each line once
# in its output and billed once.  PL_SEED repeats a run (the seed is
# printed); PL_ROUNDS sets how many rounds.
PL_SYNC=full
. "${top_srcdir:-.}/tests/powerloss/lib.sh"

pl_setup || { echo "Bail out! setup"; exit 1; }
for r in $(seq 1 "$PL_ROUNDS"); do
	pl_round "$r"
done
tap_done
