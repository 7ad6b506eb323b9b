package canisters

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// BenchmarkBlock applies blocks of 1,000 signed update messages to 100
// counter canisters (10 each): the proposal check (decoding and
// signature verification), Apply and the round with its persistence, as
// every node runs them. With seen, the node's mempool admitted the
// messages before (CheckTx verified their signatures, off the block's
// path); without, the block's check verifies every signature.
func BenchmarkBlock(b *testing.B) {
	for _, seen := range []bool{false, true} {
		b.Run(fmt.Sprintf("seen=%v", seen), func(b *testing.B) { benchmarkBlock(b, seen) })
	}
}

func benchmarkBlock(b *testing.B, seen bool) {
	h := newHarness(b)
	wasm := counterWasm(b)
	var cans []principal.Principal
	for range 100 {
		cans = append(cans, h.create(wasm))
	}
	const perBlock = 1000
	b.ResetTimer()
	for range b.N {
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
		if seen {
			for _, m := range msgs {
				if err := h.c.Admit(m, h.now()); err != nil {
					b.Fatal(err)
				}
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
	}
	b.ReportMetric(float64(perBlock*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkPersist measures a round in which one update message changes
// n of the 4,096 pages (16 MiB) of a canister's memory: execution plus
// the writes of the changed pages.
func BenchmarkPersist(b *testing.B) {
	for _, n := range []uint32{0, 1, 16, 256, 4096} {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			h := newHarness(b)
			h.c.cfg.Exec.UpdateLimit = 1_000_000_000
			can := h.create(watFile(b, "testdata/pages.wat"))
			arg := binary.LittleEndian.AppendUint32(nil, n)
			before := h.c.PagesWritten()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				m := h.call(can, "touch", arg)
				b.StartTimer()
				h.block(m)
			}
			b.ReportMetric(float64(h.c.PagesWritten()-before)/float64(b.N), "pages/op")
		})
	}
}

type discardWriter struct{ n int }

func (d *discardWriter) Set(k, v []byte) { d.n += len(v) }
func (d *discardWriter) Delete([]byte)   {}

// BenchmarkWritePages measures the persistence of one canister's 16 MiB
// memory in a height that changed n of its 4,096 pages: comparing it with
// the copy last written, hashing and writing the changed pages.
func BenchmarkWritePages(b *testing.B) {
	const size = 16 << 20
	for _, n := range []int{0, 1, 16, 256, 4096} {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			shadow := make([]byte, size)
			hashes := pageHashes(shadow)
			mem := make([]byte, size)
			w := &discardWriter{}
			b.SetBytes(size)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				copy(mem, shadow)
				for p := range n {
					mem[p*PageSize+i%PageSize]++
				}
				b.StartTimer()
				newHashes, written := writePages(w, []byte("canister"), 'm', mem, hashes, shadow)
				if written != n {
					b.Fatalf("%d pages written, want %d", written, n)
				}
				b.StopTimer()
				hashes = newHashes
				mem, shadow = shadow, mem
				b.StartTimer()
			}
		})
	}
}
