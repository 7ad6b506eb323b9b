package canisters

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/execution"
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
// n pages of a canister's memory of 16 or 64 MiB: execution plus the
// writes of the changed pages. The cost per height should grow with n
// and not with the memory.
func BenchmarkPersist(b *testing.B) {
	for _, mib := range []int{16, 64} {
		for _, n := range []uint32{0, 1, 16, 256, 4096} {
			b.Run(fmt.Sprintf("mem=%dMiB/pages=%d", mib, n), func(b *testing.B) {
				benchmarkPersist(b, mib, n)
			})
		}
	}
}

func benchmarkPersist(b *testing.B, mib int, n uint32) {
	{
		{
			h := newHarness(b)
			h.c.cfg.Exec.UpdateLimit = 1_000_000_000
			src, err := os.ReadFile("testdata/pages.wat")
			if err != nil {
				b.Fatal(err)
			}
			wat := strings.Replace(string(src), `(memory (export "memory") 256)`,
				fmt.Sprintf(`(memory (export "memory") %d)`, mib*16), 1)
			wasm, err := wasmtime.Wat2Wasm(wat)
			if err != nil {
				b.Fatal(err)
			}
			can := h.create(wasm)
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
		}
	}
}

type discardWriter struct{ n int }

func (d *discardWriter) Set(k, v []byte) { d.n += len(v) }
func (d *discardWriter) Delete([]byte)   {}

// BenchmarkWritePages measures the persistence of one canister's memory
// of 16 or 256 MiB in a height whose checkpoint lists n changed pages:
// hashing and writing them and updating the page tree. It does not depend
// on the memory's size.
func BenchmarkWritePages(b *testing.B) {
	for _, mib := range []int{16, 256} {
		for _, n := range []int{0, 1, 16, 256, 4096} {
			b.Run(fmt.Sprintf("mem=%dMiB/pages=%d", mib, n), func(b *testing.B) {
				size := uint64(mib) << 20
				t := treeOf(make([]byte, size))
				w := &discardWriter{}
				pages := make([]execution.Page, n)
				for i := range pages {
					pages[i] = execution.Page{Index: uint64(i) * (size / PageSize / uint64(max(n, 1))), Data: make([]byte, PageSize)}
				}
				b.ResetTimer()
				for i := range b.N {
					for _, p := range pages {
						p.Data[i%PageSize]++
					}
					if written := t.applyPages(w, []byte("canister"), 'm', false, size, pages); written != n {
						b.Fatalf("%d pages written, want %d", written, n)
					}
				}
			})
		}
	}
}
