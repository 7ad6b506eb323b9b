package adapter_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

func run(t testing.TB, cfg adapter.Config) *adapter.Adapter {
	t.Helper()
	if cfg.Network == 0 {
		cfg.Network = chain.Regtest
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	cfg.AllowSelfConnections = true
	a, err := adapter.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return a
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hashOf(raw []byte) chainhash.Hash {
	var h wire.BlockHeader
	_ = h.Deserialize(bytes.NewReader(raw))
	return h.BlockHash()
}

// TestSuccessorsBreadthFirstOverForks: genesis → 1 → 2 → 3 and 1 → 2' → 3'.
func TestSuccessorsBreadthFirstOverForks(t *testing.T) {
	f := newFakePeer(t)
	c := regtest.NewChain(time.Now().Add(-time.Hour))
	key := regtest.NewKey(1)
	b1 := c.Next(key.Script, 1)
	fork := c.Fork()
	fork.Time = fork.Time.Add(time.Minute)
	b2, b3 := c.Next(key.Script, 1), c.Next(key.Script, 1)
	f2, f3 := fork.Next(key.Script, 2), fork.Next(key.Script, 2)
	f.add(b1, b2, b3, f2, f3)
	f.serve()
	a := run(t, adapter.Config{Peers: []string{f.addr()}})
	eventually(t, "headers", func() bool { return a.HeaderCount() == 6 })
	genesis := *regtest.Params.GenesisHash
	var res *adapter.Successors
	eventually(t, "all blocks", func() bool {
		var err error
		res, err = a.GetSuccessors(genesis, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Blocks) == 5
	})
	want := []chainhash.Hash{b1.BlockHash(), b2.BlockHash(), f2.BlockHash(), b3.BlockHash(), f3.BlockHash()}
	for i, raw := range res.Blocks {
		if hashOf(raw) != want[i] {
			t.Fatalf("block %d out of breadth-first order", i)
		}
	}
	if len(res.Next) != 0 {
		t.Fatalf("%d next headers", len(res.Next))
	}
	// Processed blocks are skipped; their children still come.
	res, _ = a.GetSuccessors(genesis, []chainhash.Hash{b1.BlockHash(), f2.BlockHash()})
	if len(res.Blocks) != 3 || hashOf(res.Blocks[0]) != b2.BlockHash() || hashOf(res.Blocks[1]) != b3.BlockHash() || hashOf(res.Blocks[2]) != f3.BlockHash() {
		t.Fatalf("with processed: %d blocks", len(res.Blocks))
	}
	// An anchor in the middle; an unknown anchor gives nothing.
	res, _ = a.GetSuccessors(b2.BlockHash(), nil)
	if len(res.Blocks) != 1 || hashOf(res.Blocks[0]) != b3.BlockHash() {
		t.Fatalf("from block 2: %d blocks", len(res.Blocks))
	}
	res, _ = a.GetSuccessors(chainhash.Hash{1}, nil)
	if len(res.Blocks)+len(res.Next) != 0 {
		t.Fatal("unknown anchor answered")
	}
	if h, tip := a.TipHeight(); h != 3 || tip != b3.BlockHash() {
		t.Fatalf("tip %d %s (first seen of equal work should win)", h, tip)
	}
}

func TestSuccessorsLimits(t *testing.T) {
	f := newFakePeer(t)
	c := regtest.NewChain(time.Now().Add(-time.Hour))
	key := regtest.NewKey(1)
	// 150 blocks of ~25 kB each: the byte limit (≈ 2 MB) cuts at about 79.
	filler := make([]byte, 25_000)
	var blocks []*wire.MsgBlock
	for range 150 {
		tx := wire.NewMsgTx(1)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 7}, nil, nil))
		tx.AddTxOut(wire.NewTxOut(1, append([]byte{0x6a, 0x4d, 0xa8, 0x61}, filler...)))
		blocks = append(blocks, c.Next(key.Script, 1, tx))
	}
	f.add(blocks...)
	f.serve()
	a := run(t, adapter.Config{Peers: []string{f.addr()}, CacheBytes: 64 << 20})
	eventually(t, "headers", func() bool { return a.HeaderCount() == 151 })
	genesis := *regtest.Params.GenesisHash
	var res *adapter.Successors
	eventually(t, "a full answer", func() bool {
		res, _ = a.GetSuccessors(genesis, nil)
		size := 0
		for _, b := range res.Blocks {
			size += len(b)
		}
		return size+len(blocks[0].Transactions[1].TxOut[0].PkScript)+200 > adapter.MaxResponseSize-adapter.MaxNextBytes
	})
	size := 0
	for i, raw := range res.Blocks {
		size += len(raw)
		if hashOf(raw) != blocks[i].BlockHash() {
			t.Fatalf("block %d out of order", i)
		}
	}
	if size > adapter.MaxResponseSize-adapter.MaxNextBytes || len(res.Blocks) >= adapter.MaxBlocksLength {
		t.Fatalf("%d blocks, %d bytes", len(res.Blocks), size)
	}
	if len(res.Next) != min(adapter.MaxNextHeaders, 150-len(res.Blocks)) {
		t.Fatalf("%d next headers", len(res.Next))
	}
	if hashOf(res.Next[0]) != blocks[len(res.Blocks)].BlockHash() {
		t.Fatal("next does not continue after the blocks")
	}
}

func TestBadPeers(t *testing.T) {
	logs := &capture{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	garbage := newFakePeer(t)
	garbage.garbage = bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000)
	garbage.serve()
	badPoW := newFakePeer(t)
	badPoW.badAfter = true
	badPoW.serve()
	noNetwork := newFakePeer(t)
	noNetwork.services = 0
	noNetwork.serve()
	a := run(t, adapter.Config{Peers: []string{garbage.addr(), badPoW.addr(), noNetwork.addr()}, Logger: logger})
	eventually(t, "bad peers to be dropped", func() bool {
		s := logs.String()
		return strings.Contains(s, "invalid header from peer") && strings.Contains(s, "rejecting peer") &&
			strings.Contains(s, "handshake failed")
	})
	if a.HeaderCount() != 1 {
		t.Fatalf("%d headers accepted from bad peers", a.HeaderCount())
	}
	if _, err := a.GetSuccessors(*regtest.Params.GenesisHash, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendTransaction([]byte("junk")); err == nil {
		t.Fatal("junk transaction accepted")
	}
}

func TestSendTransactionBroadcast(t *testing.T) {
	f := newFakePeer(t)
	f.serve()
	a := run(t, adapter.Config{Peers: []string{f.addr()}})
	eventually(t, "connection", func() bool { return a.PeerCount() == 1 })
	key := regtest.NewKey(1)
	tx, _ := regtest.SpendP2PKH(key, []wire.OutPoint{{Index: 3}}, []regtest.Output{{Script: key.Script, Value: 9}})
	txid, err := a.SendTransaction(regtest.TxBytes(tx))
	if err != nil || txid != tx.TxHash() {
		t.Fatal(err)
	}
	eventually(t, "the peer to fetch the transaction", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.txs) == 1 && f.txs[0].TxHash() == txid
	})
}

func TestHeadersPersistAndTornTail(t *testing.T) {
	dir := t.TempDir()
	f := newFakePeer(t)
	c := regtest.NewChain(time.Now().Add(-time.Hour))
	for range 30 {
		f.add(c.Next(regtest.NewKey(1).Script, 1))
	}
	f.serve()
	func() {
		a, err := adapter.New(adapter.Config{Network: chain.Regtest, Peers: []string{f.addr()}, DataDir: dir, Logger: quietLogger(), AllowSelfConnections: true})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = a.Run(ctx); close(done) }()
		eventually(t, "headers", func() bool { return a.HeaderCount() == 31 })
		cancel()
		<-done
		a.Close()
	}()
	path := filepath.Join(dir, "regtest", "headers.dat")
	data, err := os.ReadFile(path)
	if err != nil || len(data) != 12+30*80 {
		t.Fatalf("header file: %d bytes, %v", len(data), err)
	}
	reopen := func() *adapter.Adapter {
		a, err := adapter.New(adapter.Config{Network: chain.Regtest, DataDir: dir, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		return a
	}
	if a := reopen(); a.HeaderCount() != 31 {
		t.Fatalf("reopened with %d headers", a.HeaderCount())
	}
	// A torn tail (half a record) and a corrupted record are dropped.
	_ = os.WriteFile(path, append(append([]byte(nil), data...), data[12:52]...), 0o600)
	if a := reopen(); a.HeaderCount() != 31 {
		t.Fatalf("torn tail: %d headers", a.HeaderCount())
	}
	bad := append([]byte(nil), data...)
	bad[12+20*80+78] ^= 0xff // nonce of record 20
	_ = os.WriteFile(path, bad, 0o600)
	// Record 20 fails proof of work or, if it passes by chance (regtest's
	// target accepts half of all hashes), record 21 no longer links to it.
	n := reopen().HeaderCount()
	if n != 21 && n != 22 {
		t.Fatalf("corrupt record 20: %d headers, want 21 or 22", n)
	}
	if st, _ := os.Stat(path); st.Size() != int64(12+(n-1)*80) {
		t.Fatalf("file not truncated: %d", st.Size())
	}
	// Another network's file is refused.
	if _, err := adapter.New(adapter.Config{Network: chain.Mainnet, DataDir: dir}); err != nil {
		t.Fatalf("mainnet uses its own directory: %v", err)
	}
	_ = os.MkdirAll(filepath.Join(dir, "testnet"), 0o700)
	_ = os.WriteFile(filepath.Join(dir, "testnet", "headers.dat"), data, 0o600)
	if _, err := adapter.New(adapter.Config{Network: chain.Testnet, DataDir: dir}); err == nil {
		t.Fatal("regtest header file accepted for testnet")
	}
}
