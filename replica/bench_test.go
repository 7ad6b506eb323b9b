package replica

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// BenchmarkCertifiedTree builds the certified state tree with 1000 live
// requests, as every height does.
func BenchmarkCertifiedTree(b *testing.B) {
	recs := map[string]*requestRecord{}
	for i := 0; i < 1000; i++ {
		id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		recs[string(id[:])] = &requestRecord{Status: statusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
	}
	subnet, root := make([]byte, 29), make([]byte, 133)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := certifiedTree(int64(i), subnet, root, recs)
		if err != nil {
			b.Fatal(err)
		}
		t.Digest()
	}
}

// BenchmarkStoreCommit commits a height of 100 writes with fsync.
func BenchmarkStoreCommit(b *testing.B) {
	s, err := openStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	v := make([]byte, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 100; j++ {
			s.set(binary.BigEndian.AppendUint64([]byte("k"), uint64(i*100+j)), v)
		}
		s.writesDigest()
		if err := s.commit(storeMeta{Height: uint64(i + 1)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVoteExtensionRoundTrip encodes and strictly decodes a vote
// extension with 64 signing shares.
func BenchmarkVoteExtensionRoundTrip(b *testing.B) {
	e := &voteExt{CertHeight: 9, CertShare: make([]byte, 48), BeaconRound: 9, BeaconShare: make([]byte, 48)}
	for i := 0; i < 64; i++ {
		e.SignShares = append(e.SignShares, signShare{RequestID: make([]byte, 32), Share: make([]byte, 132)})
	}
	for i := 0; i < b.N; i++ {
		if _, err := decodeExt(encodeExt(e)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCertifiedTreeNextHeight builds the tree of the next height from
// the cache: 7,500 live requests (five minutes of expiry at 25 signatures
// per second), 25 of them new.
func BenchmarkCertifiedTreeNextHeight(b *testing.B) {
	recs := map[string]*requestRecord{}
	for i := 0; i < 7500; i++ {
		id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		recs[string(id[:])] = &requestRecord{Status: statusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
	}
	subnet, root := make([]byte, 29), make([]byte, 133)
	var c treeCache
	if _, err := c.build(0, subnet, root, recs); err != nil {
		b.Fatal(err)
	}
	n := 7500
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 25; j++ {
			id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(n)))
			n++
			recs[string(id[:])] = &requestRecord{Status: statusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
		}
		t, err := c.build(int64(i), subnet, root, recs)
		if err != nil {
			b.Fatal(err)
		}
		t.Digest()
	}
}
