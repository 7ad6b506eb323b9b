package replica

import (
	"encoding/binary"
	"testing"
)

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
