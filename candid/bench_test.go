package candid

import (
	"fmt"
	"math/big"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// transferArg is an ICRC-1 transfer argument with every optional field set.
func transferArg(b testing.TB) ([]*Type, []Value) {
	d := loadDID(b, "ICRC-1.did")
	m, err := d.Method("icrc1_transfer")
	if err != nil {
		b.Fatal(err)
	}
	vals, err := ParseArgs(`(record {
		from_subaccount = opt blob "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20";
		to = record { owner = principal "ryjl3-tyaaa-aaaaa-aaaba-cai"; subaccount = null };
		amount = 1_000_000_000 : nat;
		fee = opt (10_000 : nat);
		memo = opt blob "payment 42";
		created_at_time = opt (1_700_000_000_000_000_000 : nat64);
	})`, m.Args)
	if err != nil {
		b.Fatal(err)
	}
	return m.Args, vals
}

// utxosReply is a bitcoin_get_utxos reply with n UTXOs.
func utxosReply(b testing.TB, n int) ([]*Type, []Value) {
	d := loadDID(b, "ic.did")
	m, err := d.Method("bitcoin_get_utxos")
	if err != nil {
		b.Fatal(err)
	}
	utxos := make([]Value, n)
	for i := range utxos {
		txid := make([]byte, 32)
		txid[0], txid[1] = byte(i), byte(i>>8)
		outpoint := []FieldValue{{ID: Hash("txid"), Value: txid}, {ID: Hash("vout"), Value: uint32(i % 4)}}
		sortFieldValues(outpoint)
		fs := []FieldValue{
			{ID: Hash("value"), Value: uint64(100_000 + i)},
			{ID: Hash("height"), Value: uint32(800_000 + i)},
			{ID: Hash("outpoint"), Value: Record{Fields: outpoint}},
		}
		sortFieldValues(fs)
		utxos[i] = Record{Fields: fs}
	}
	rec := Record{Fields: []FieldValue{
		{ID: Hash("utxos"), Value: utxos},
		{ID: Hash("tip_block_hash"), Value: make([]byte, 32)},
		{ID: Hash("tip_height"), Value: uint32(800_999)},
		{ID: Hash("next_page"), Value: Opt{}},
	}}
	sortFieldValues(rec.Fields)
	return m.Results, []Value{rec}
}

// cpuTime returns the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// loopCPU runs f b.N times and reports the CPU time per operation besides
// the wall-clock time: on a shared machine the former is the steadier figure.
func loopCPU(b *testing.B, f func()) {
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func benchEncode(b *testing.B, types []*Type, vals []Value) {
	msg, err := Marshal(types, vals)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	buf := make([]byte, 0, len(msg))
	loopCPU(b, func() {
		if _, err := AppendMarshal(buf[:0], types, vals); err != nil {
			b.Fatal(err)
		}
	})
}

func benchDecode(b *testing.B, types []*Type, vals []Value) {
	msg, err := Marshal(types, vals)
	if err != nil {
		b.Fatal(err)
	}
	got, err := Unmarshal(msg, types)
	if err != nil || !Equal(got[0], vals[0]) {
		b.Fatalf("round trip: %v", err)
	}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	loopCPU(b, func() {
		if _, err := Unmarshal(msg, types); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDecodeICRC1TransferCached(b *testing.B) {
	types, vals := transferArg(b)
	msg, err := Marshal(types, vals)
	if err != nil {
		b.Fatal(err)
	}
	d := Decoder{Cache: new(TableCache)}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	loopCPU(b, func() {
		if _, err := d.Unmarshal(msg, types); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkEncodeICRC1Transfer(b *testing.B) { ts, vs := transferArg(b); benchEncode(b, ts, vs) }
func BenchmarkDecodeICRC1Transfer(b *testing.B) { ts, vs := transferArg(b); benchDecode(b, ts, vs) }

func BenchmarkEncodeGetUTXOs1000(b *testing.B) { ts, vs := utxosReply(b, 1000); benchEncode(b, ts, vs) }
func BenchmarkDecodeGetUTXOs1000(b *testing.B) { ts, vs := utxosReply(b, 1000); benchDecode(b, ts, vs) }

func blobArg() ([]*Type, []Value) {
	blob := make([]byte, 1<<20)
	for i := range blob {
		blob[i] = byte(i)
	}
	return []*Type{BlobType()}, []Value{blob}
}

func BenchmarkEncodeBlob1MiB(b *testing.B) { ts, vs := blobArg(); benchEncode(b, ts, vs) }
func BenchmarkDecodeBlob1MiB(b *testing.B) { ts, vs := blobArg(); benchDecode(b, ts, vs) }

func BenchmarkDecodeBlob1MiBAlias(b *testing.B) {
	types, vals := blobArg()
	msg, err := Marshal(types, vals)
	if err != nil {
		b.Fatal(err)
	}
	d := Decoder{Alias: true}
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	loopCPU(b, func() {
		if _, err := d.Unmarshal(msg, types); err != nil {
			b.Fatal(err)
		}
	})
}

// Go values through struct tags, for comparison with the Value API.
type benchAccount struct {
	Owner      principal.Principal `candid:"owner"`
	Subaccount *[]byte             `candid:"subaccount"`
}

type benchTransferArgs struct {
	FromSubaccount *[]byte      `candid:"from_subaccount"`
	To             benchAccount `candid:"to"`
	Amount         *big.Int     `candid:"amount"`
	Fee            *big.Int     `candid:"fee,opt"`
	Memo           *[]byte      `candid:"memo"`
	CreatedAtTime  *uint64      `candid:"created_at_time"`
}

func BenchmarkDecodeGoICRC1Transfer(b *testing.B) {
	ts, vs := transferArg(b)
	msg, err := Marshal(ts, vs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	loopCPU(b, func() {
		var a benchTransferArgs
		if err := Decode(msg, &a); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDecodeGoICRC1TransferCached(b *testing.B) {
	ts, vs := transferArg(b)
	msg, err := Marshal(ts, vs)
	if err != nil {
		b.Fatal(err)
	}
	d := Decoder{Cache: new(TableCache)}
	b.ReportAllocs()
	loopCPU(b, func() {
		var a benchTransferArgs
		if err := d.Decode(msg, &a); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParseManagementDID(b *testing.B) {
	src, err := os.ReadFile("testdata/did/ic.did")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	loopCPU(b, func() {
		if _, err := ParseDescription(string(src)); err != nil {
			b.Fatal(err)
		}
	})
}

func TestBenchmarkInputs(t *testing.T) {
	ts, vs := utxosReply(t, 3)
	s := FormatArgs(ts, vs)
	if !strings.Contains(s, "tip_height = 800_999 : nat32") || strings.Count(s, "outpoint = record") != 3 {
		t.Errorf("utxos reply: %s", s)
	}
	msg, err := Marshal(ts, vs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmarshal(msg, ts); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", s, err))
	}
}
