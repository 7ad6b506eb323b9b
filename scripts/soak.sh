#!/bin/sh
# soak.sh DURATION_MINUTES [OUT]: starts a local 4-node subnet (chainkey up)
# in a fresh data directory, puts a mixed signing load on it (ECDSA and
# Ed25519, 8 callers each) and samples, every minute, the disk use of the
# nodes' state stores, CometBFT data and snapshots and the nodes' resident
# memory. One line per sample goes to OUT (default soak.tsv):
#   minute height cup retain base state_kb blocks_kb wal_kb snapshots_kb rss_mb
# (height, cup, retain and base are node 0's: height, latest CUP, CometBFT
# retain height and lowest stored block; the sizes are the sums over the
# four nodes; blocks_kb is CometBFT's data directory including wal_kb, its
# consensus WAL).
set -eu
minutes=${1:-15}
out=${2:-soak.tsv}
root=$(mktemp -d)
export XDG_DATA_HOME="$root/xdg"
bin="$root/chainkey"
go build -o "$bin" ./cmd/chainkey
"$bin" up --timeout 10m >"$root/up.log" 2>&1 &
up=$!
trap 'kill $up 2>/dev/null; wait $up 2>/dev/null; rm -rf "$root"' EXIT INT TERM
home="$XDG_DATA_HOME/chainkey/local"
until grep -q "ready\|grpc" "$root/up.log" 2>/dev/null && [ -d "$home/node0/state" ]; do sleep 2; done
sleep 5
secs=$((minutes * 60))
"$bin" bench sign --key-id ecdsa:secp256k1:dfx_test_key --concurrency 8 --duration "${secs}s" >"$root/ecdsa.json" 2>&1 &
b1=$!
"$bin" bench sign --key-id schnorr:ed25519:dfx_test_key --concurrency 8 --duration "${secs}s" >"$root/ed.json" 2>&1 &
b2=$!
printf 'minute\theight\tcup\tretain\tbase\tstate_kb\tblocks_kb\twal_kb\tsnapshots_kb\trss_mb\n' >"$out"
m=0
while [ $m -le "$minutes" ]; do
	state=0 blocks=0 snaps=0 wal=0
	for n in "$home"/node*; do
		state=$((state + $(du -sk "$n/state" | cut -f1)))
		blocks=$((blocks + $(du -sk "$n/cometbft/data" | cut -f1)))
		wal=$((wal + $(du -sk "$n/cometbft/data/cs.wal" | cut -f1)))
		snaps=$((snaps + $( (du -sk "$n/snapshots" 2>/dev/null || echo 0) | cut -f1)))
	done
	rss=0
	for p in $(pgrep -P $up) $up; do
		r=$(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0)
		rss=$((rss + ${r:-0}))
	done
	st=$("$bin" status 2>/dev/null || true)
	field() { printf '%s' "$st" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -1; }
	printf '%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n' $m "$(field height)" "$(field cup_height)" "$(field retain_height)" \
		"$(field block_base)" $state $blocks $wal $snaps $((rss / 1024)) | tee -a "$out"
	m=$((m + 1))
	[ $m -le "$minutes" ] && sleep 60
done
wait $b1 $b2
cat "$root/ecdsa.json" "$root/ed.json"
