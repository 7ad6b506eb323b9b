package ledger_test

import (
	"math/big"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

// cpuPerOp reports the process CPU time per operation next to ns/op.
func cpuPerOp(b *testing.B) func() {
	b.Helper()
	start := processCPU()
	return func() {
		if start != 0 && b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// benchLedger returns a ckBTC ledger with a funded account and 10,000 other
// accounts holding balances.
func benchLedger(b *testing.B) (*ledger.Ledger, principal.Principal) {
	b.Helper()
	minter := principal.FromCanisterIndex(1)
	payer := principal.FromCanisterIndex(2)
	cfg := ledger.CkBTCConfig(minter)
	cfg.InitialBalances = []ledger.InitialBalance{{Account: ledger.Account{Owner: payer}, Amount: 1 << 62}}
	for i := range 10_000 {
		cfg.InitialBalances = append(cfg.InitialBalances, ledger.InitialBalance{
			Account: ledger.Account{Owner: principal.FromCanisterIndex(uint64(1000 + i))}, Amount: 1000,
		})
	}
	l, err := ledger.New(cfg, t0)
	if err != nil {
		b.Fatal(err)
	}
	return l, payer
}

// BenchmarkTransferCall is icrc1_transfer through Call: Candid argument in,
// transfer with deduplication (every argument has its own created_at_time),
// block hashing, Candid reply out. The arguments are encoded before the
// timer starts.
func BenchmarkTransferCall(b *testing.B) {
	l, payer := benchLedger(b)
	args := make([][]byte, b.N)
	memo := []byte("bench")
	for i := range args {
		ts := uint64(t0 + i)
		msg, err := candid.Encode(wTransferArg{
			To: acct(principal.FromCanisterIndex(uint64(1000 + i%10_000))), Amount: big.NewInt(int64(100 + i%1000)),
			Memo: &memo, CreatedAtTime: &ts,
		})
		if err != nil {
			b.Fatal(err)
		}
		args[i] = msg
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; i < b.N; i++ {
		if _, err := l.Call("icrc1_transfer", args[i], payer, uint64(t0+i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransfer is the same transfer through the Go API.
func BenchmarkTransfer(b *testing.B) {
	l, payer := benchLedger(b)
	now := uint64(t0 + 1)
	memo := []byte("bench")
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for i := 0; b.Loop(); i++ {
		ts := now + uint64(i)
		to := ledger.Account{Owner: principal.FromCanisterIndex(uint64(1000 + i%10_000))}
		if _, err := l.Transfer(payer, ledger.TransferArgs{To: to, Amount: 100, Memo: memo, CreatedAtTime: &ts}, ts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBalanceOfQuery is icrc1_balance_of through Query.
func BenchmarkBalanceOfQuery(b *testing.B) {
	l, _ := benchLedger(b)
	arg, err := candid.Encode(acct(principal.FromCanisterIndex(5000)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := l.Query("icrc1_balance_of", arg, principal.Anonymous(), t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes the state of a ledger with 10,001 blocks.
func BenchmarkMarshal(b *testing.B) {
	l, _ := benchLedger(b)
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		_ = l.Marshal()
	}
}

// BenchmarkUnmarshal decodes (replays) the same state.
func BenchmarkUnmarshal(b *testing.B) {
	l, _ := benchLedger(b)
	enc := l.Marshal()
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := ledger.Unmarshal(enc); err != nil {
			b.Fatal(err)
		}
	}
}
