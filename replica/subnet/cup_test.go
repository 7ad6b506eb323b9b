package subnet

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/thresholdsig"
)

func testSnapshot(t testing.TB, n, size int) ([]SnapshotEntry, [][]byte, *Manifest) {
	t.Helper()
	var entries []SnapshotEntry
	for i := 0; i < n; i++ {
		entries = append(entries, SnapshotEntry{Key: []byte(fmt.Sprintf("k/%05d", i)), Value: bytes.Repeat([]byte{byte(i)}, i%37)})
	}
	var chunks [][]byte
	w := NewSnapshotWriter(size, func(c []byte) error { chunks = append(chunks, bytes.Clone(c)); return nil })
	for _, e := range entries {
		if err := w.Add(e.Key, e.Value); err != nil {
			t.Fatal(err)
		}
	}
	m, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return entries, chunks, m
}

func TestSnapshotChunksRoundTrip(t *testing.T) {
	entries, chunks, m := testSnapshot(t, 500, 256)
	if len(chunks) < 10 || len(chunks) != len(m.Chunks) {
		t.Fatalf("%d chunks, manifest %d", len(chunks), len(m.Chunks))
	}
	var got []SnapshotEntry
	var prev []byte
	for i, c := range chunks {
		es, err := DecodeChunk(m, i, c, prev)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, es...)
		prev = es[len(es)-1].Key
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries back, want %d", len(got), len(entries))
	}
	for i := range got {
		if !bytes.Equal(got[i].Key, entries[i].Key) || !bytes.Equal(got[i].Value, entries[i].Value) {
			t.Fatalf("entry %d differs", i)
		}
	}
	// The same entries give the same manifest (every node agrees).
	_, _, m2 := testSnapshot(t, 500, 256)
	if !bytes.Equal(ManifestHash(m), ManifestHash(m2)) {
		t.Fatal("manifest differs between two runs")
	}
	// A changed chunk, a chunk out of place or replayed keys are refused.
	bad := bytes.Clone(chunks[3])
	bad[len(bad)-1] ^= 1
	if _, err := DecodeChunk(m, 3, bad, nil); err == nil {
		t.Fatal("accepted a changed chunk")
	}
	if _, err := DecodeChunk(m, 4, chunks[3], nil); err == nil {
		t.Fatal("accepted a chunk at the wrong index")
	}
	es, _ := DecodeChunk(m, 5, chunks[5], nil)
	if _, err := DecodeChunk(m, 4, chunks[4], es[len(es)-1].Key); err == nil {
		t.Fatal("accepted keys that do not follow the chunk before")
	}
}

func TestSnapshotWriterOrder(t *testing.T) {
	w := NewSnapshotWriter(SnapshotChunkSize, func([]byte) error { return nil })
	if err := w.Add([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Add([]byte("a"), nil); err == nil {
		t.Fatal("accepted a key out of order")
	}
	if err := w.Add([]byte("b"), nil); err == nil {
		t.Fatal("accepted a repeated key")
	}
	m, err := NewSnapshotWriter(16, func([]byte) error { return nil }).Finish()
	if err != nil || len(m.Chunks) != 1 || m.Size != 0 {
		t.Fatalf("empty snapshot: %v %+v", err, m)
	}
}

// testCUP makes a CUP of height 10 certified by a dealt 3-of-4 key in the
// tree of height 11.
func testCUP(t testing.TB) (*CUP, *thresholdsig.PublicCoefficients) {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, _, m := testSnapshot(t, 50, 128)
	core := &State{Height: 10, AppHash: bytes.Repeat([]byte{7}, 32), Convicted: map[uint32]uint64{}}
	enc, err := Marshal(core)
	if err != nil {
		t.Fatal(err)
	}
	ch := sha256.Sum256(enc)
	leaf := &CUPLeaf{Height: 10, AppHash: core.AppHash, StateHash: ManifestHash(m), CoreHash: ch[:]}
	tree, err := CertifiedTree(1e18, []byte{1, 2, 3}, pc.PublicKey().DER(), nil, leaf.PathValue())
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Digest()
	msg := CertMessage(root[:])
	var sh [][]byte
	for i := 0; i < 3; i++ {
		s, err := thresholdsig.SignShare(shares[i], msg)
		if err != nil {
			t.Fatal(err)
		}
		sh = append(sh, s)
	}
	sig, err := thresholdsig.Combine(3, []int{0, 1, 2}, sh)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCUP(leaf, m, enc, tree, sig)
	if err != nil {
		t.Fatal(err)
	}
	return c, pc
}

func TestVerifyCUP(t *testing.T) {
	c, pc := testCUP(t)
	enc := EncodeCUP(c)
	d, err := DecodeCUP(enc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := VerifyCUP(d, pc.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if s.Height != 10 {
		t.Fatalf("core state of height %d", s.Height)
	}
	other, _, _ := thresholdsig.Deal(4, 3, rand.Reader)
	if _, err := VerifyCUP(d, other.PublicKey()); err == nil {
		t.Fatal("a CUP verified under another subnet's key")
	}
	for name, change := range map[string]func(c *CUP){
		"height":   func(c *CUP) { c.Leaf.Height = 20 },
		"manifest": func(c *CUP) { c.Manifest.Chunks[0] = make([]byte, 32) },
		"core":     func(c *CUP) { c.Core = bytes.Clone(c.Core); c.Core[len(c.Core)-1] ^= 1 },
		"app hash": func(c *CUP) { c.Leaf.AppHash = make([]byte, 32) },
	} {
		bad, _ := DecodeCUP(enc)
		change(bad)
		if _, err := VerifyCUP(bad, pc.PublicKey()); err == nil {
			t.Errorf("%s: a changed CUP verified", name)
		}
	}
	// The certificate is a plain IC certificate.
	cert, err := certification.ParseCertificate(d.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := cert.Lookup([]byte("time")); st != certification.Found {
		t.Fatal("certificate without /time")
	}
}

func TestDecodeCUPStrict(t *testing.T) {
	c, _ := testCUP(t)
	enc := EncodeCUP(c)
	if _, err := DecodeCUP(append(bytes.Clone(enc), 0)); err == nil {
		t.Fatal("accepted trailing bytes")
	}
	c.Manifest.Chunks = nil
	if _, err := DecodeCUP(EncodeCUP(c)); err == nil {
		t.Fatal("accepted a CUP without chunks")
	}
}

func TestIsCUPHeight(t *testing.T) {
	for _, c := range []struct {
		h, n uint64
		want bool
	}{{0, 10, false}, {10, 10, true}, {11, 10, false}, {500, 0, true}, {250, 0, false}} {
		if got := IsCUPHeight(c.h, c.n); got != c.want {
			t.Errorf("IsCUPHeight(%d, %d) = %v", c.h, c.n, got)
		}
	}
}

func FuzzDecodeCUP(f *testing.F) {
	c, _ := testCUP(f)
	f.Add(EncodeCUP(c))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCUP(b)
		if err != nil {
			return
		}
		if re := EncodeCUP(c); !bytes.Equal(re, b) {
			t.Fatalf("accepted %x re-encodes as %x", b, re)
		}
	})
}

func FuzzDecodeChunk(f *testing.F) {
	_, chunks, _ := testSnapshot(f, 20, 64)
	f.Add(chunks[0])
	f.Fuzz(func(t *testing.T, b []byte) {
		d := sha256.Sum256(b)
		m := &Manifest{Chunks: [][]byte{d[:]}}
		es, err := DecodeChunk(m, 0, b, nil)
		if err != nil {
			return
		}
		var re []byte
		w := NewSnapshotWriter(len(b)+1, func(c []byte) error { re = bytes.Clone(c); return nil })
		for _, e := range es {
			if err := w.Add(e.Key, e.Value); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && !bytes.Equal(re, b) {
			t.Fatalf("accepted %x re-encodes as %x", b, re)
		}
	})
}

func BenchmarkSnapshotWriter(b *testing.B) {
	value := bytes.Repeat([]byte{1}, 4096)
	b.SetBytes(int64(2000 * (len(value) + 10)))
	for range b.N {
		w := NewSnapshotWriter(SnapshotChunkSize, func([]byte) error { return nil })
		for i := 0; i < 2000; i++ {
			if err := w.Add([]byte(fmt.Sprintf("d/%08d", i)), value); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCUP(b *testing.B) {
	c, pc := testCUP(b)
	enc := EncodeCUP(c)
	b.ResetTimer()
	for range b.N {
		d, err := DecodeCUP(enc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := VerifyCUP(d, pc.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}
