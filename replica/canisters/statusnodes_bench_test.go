package canisters

import (
	"testing"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// BenchmarkBlockCertified is BenchmarkBlock/seen=true plus what a node
// does next with the height: the certified tree with every live request
// status, from the component's leaves (before) or from its request status
// set (RequestStatusTrie). Twenty blocks run first, so about 20,000
// statuses are live (1,000 calls per second for 20 seconds).
func BenchmarkBlockCertified(b *testing.B) {
	for _, mode := range []string{"leaves", "subtrees"} {
		b.Run(mode, func(b *testing.B) { benchmarkBlockCertified(b, mode == "subtrees") })
	}
}

func benchmarkBlockCertified(b *testing.B, subtrees bool) {
	h := newHarness(b)
	wasm := counterWasm(b)
	var cans []principal.Principal
	for range 100 {
		cans = append(cans, h.create(wasm))
	}
	var tc subnet.TreeCache
	const perBlock = 1000
	block := func() {
		b.StopTimer()
		msgs := make([]*Message, perBlock)
		for i := range msgs {
			msgs[i] = h.call(cans[i%len(cans)], "inc", nil)
		}
		tx, err := EncodeBatch(msgs)
		if err != nil {
			b.Fatal(err)
		}
		h.height++
		for _, m := range msgs {
			if err := h.c.Admit(m, h.now()); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := h.c.Check(tx); err != nil {
			b.Fatal(err)
		}
		if err := h.c.Apply(tx, h.st); err != nil {
			b.Fatal(err)
		}
		if err := h.c.Round(RoundInput{Height: h.height, TimeNS: h.now()}, h.st); err != nil {
			b.Fatal(err)
		}
		if subtrees {
			set, err := h.c.RequestStatusTrie()
			if err != nil {
				b.Fatal(err)
			}
			_, err = tc.BuildNodes(int64(h.now()), []byte("subnet"), []byte("key"), nil, set, h.c.CanisterLeaves()...)
			if err != nil {
				b.Fatal(err)
			}
		} else if _, err := tc.Build(int64(h.now()), []byte("subnet"), []byte("key"), nil, h.c.Leaves()...); err != nil {
			b.Fatal(err)
		}
	}
	for range 20 {
		block()
	}
	b.ResetTimer()
	for range b.N {
		block()
	}
	b.ReportMetric(float64(perBlock*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
