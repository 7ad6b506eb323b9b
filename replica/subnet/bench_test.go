package subnet

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// BenchmarkCertifiedTree builds the certified state tree with 1000 live
// requests, as every height does.
func BenchmarkCertifiedTree(b *testing.B) {
	recs := map[string]*RequestRecord{}
	for i := 0; i < 1000; i++ {
		id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		recs[string(id[:])] = &RequestRecord{Status: StatusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
	}
	sid, root := make([]byte, 29), make([]byte, 133)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := CertifiedTree(int64(i), sid, root, recs)
		if err != nil {
			b.Fatal(err)
		}
		t.Digest()
	}
}

// BenchmarkVoteExtensionRoundTrip encodes and strictly decodes a vote
// extension with 64 signing shares.
func BenchmarkVoteExtensionRoundTrip(b *testing.B) {
	e := &VoteExt{CertHeight: 9, CertShare: make([]byte, 48), BeaconRound: 9, BeaconShare: make([]byte, 48)}
	for i := 0; i < 64; i++ {
		e.SignShares = append(e.SignShares, SignShare{RequestID: make([]byte, 32), Share: make([]byte, 132)})
	}
	for i := 0; i < b.N; i++ {
		if _, err := DecodeExt(EncodeExt(e)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCertifiedTreeNextHeight builds the tree of the next height from
// the cache: 7,500 live requests (five minutes of expiry at 25 signatures
// per second), 25 of them new.
func BenchmarkCertifiedTreeNextHeight(b *testing.B) {
	recs := map[string]*RequestRecord{}
	for i := 0; i < 7500; i++ {
		id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(i)))
		recs[string(id[:])] = &RequestRecord{Status: StatusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
	}
	sid, root := make([]byte, 29), make([]byte, 133)
	var c TreeCache
	if _, err := c.Build(0, sid, root, recs); err != nil {
		b.Fatal(err)
	}
	n := 7500
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 25; j++ {
			id := sha256.Sum256(binary.BigEndian.AppendUint32(nil, uint32(n)))
			n++
			recs[string(id[:])] = &RequestRecord{Status: StatusReplied, Signature: make([]byte, 64), PublicKey: make([]byte, 33)}
		}
		t, err := c.Build(int64(i), sid, root, recs)
		if err != nil {
			b.Fatal(err)
		}
		t.Digest()
	}
}
