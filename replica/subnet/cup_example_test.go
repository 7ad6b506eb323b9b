package subnet_test

import (
	"bytes"
	"fmt"

	"github.com/chainkey/chainkey/replica/subnet"
)

// A snapshot is cut into chunks that a receiver checks one by one against
// the manifest a CUP certifies.
func ExampleSnapshotWriter() {
	var chunks [][]byte
	w := subnet.NewSnapshotWriter(32, func(c []byte) error {
		chunks = append(chunks, bytes.Clone(c))
		return nil
	})
	for _, k := range []string{"b/1", "q/2", "s/core", "t/4"} {
		if err := w.Add([]byte(k), []byte("value of "+k)); err != nil {
			panic(err)
		}
	}
	m, err := w.Finish()
	if err != nil {
		panic(err)
	}
	var prev []byte
	for i, c := range chunks {
		entries, err := subnet.DecodeChunk(m, i, c, prev)
		if err != nil {
			panic(err)
		}
		for _, e := range entries {
			fmt.Printf("chunk %d: %s\n", i, e.Key)
		}
		prev = entries[len(entries)-1].Key
	}
	// A chunk that is not the manifest's is refused.
	_, err = subnet.DecodeChunk(m, 0, chunks[1], nil)
	fmt.Println(err != nil)
	// Output:
	// chunk 0: b/1
	// chunk 0: q/2
	// chunk 1: s/core
	// chunk 1: t/4
	// true
}
