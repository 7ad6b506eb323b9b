package httpapi_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
)

// BenchmarkSignQueryResponse measures the node's part of every query
// answer: the response hash and its Ed25519 signature.
func BenchmarkSignQueryResponse(b *testing.B) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	reply := make([]byte, 100)
	var id [32]byte
	start := cpuTime()
	for b.Loop() {
		r := httpapi.NewQueryResponse(reply, nil)
		if err := httpapi.SignQueryResponse(r, key, id, 1_700_000_000_000_000_000); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkReadStateCertificate measures the assembly of a read_state
// answer from a certified state tree holding n request statuses: the
// witness of one /request_status/<id> and /time, and the certificate's
// CBOR. The tree is signed once per height, outside this loop.
func BenchmarkReadStateCertificate(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("statuses=%d", n), func(b *testing.B) {
			entries := []certification.PathValue{{Path: certification.Path("time"), Value: []byte{1}}}
			var last []byte
			for i := range n {
				h := sha256.Sum256(fmt.Append(nil, i))
				last = h[:]
				entries = append(entries,
					certification.PathValue{Path: [][]byte{[]byte("request_status"), last, []byte("status")}, Value: []byte("replied")},
					certification.PathValue{Path: [][]byte{[]byte("request_status"), last, []byte("reply")}, Value: make([]byte, 64)})
			}
			tree, err := certification.BuildTree(entries)
			if err != nil {
				b.Fatal(err)
			}
			sig := make([]byte, certification.SignatureSize)
			paths := [][][]byte{{[]byte("request_status"), last}, {[]byte("time")}}
			start := cpuTime()
			for b.Loop() {
				w, err := certification.Witness(tree, paths)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := (&certification.Certificate{Tree: w, Signature: sig}).Marshal(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkQueryHandler measures a whole query through the handler, without
// sockets: envelope decoding, authentication, the effective canister
// checks, the canister (a Go counter), signing and encoding.
func BenchmarkQueryHandler(b *testing.B) {
	n := newTestNode(b, httpapi.Config{})
	key := newKey(b)
	c := n.callContent("read", nil)
	c.RequestType = ingress.RequestTypeQuery
	body := envelope(b, key, c)
	path := n.path("v3", "canister", "query")
	start := cpuTime()
	for b.Loop() {
		if w := n.post(path, body); w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	reportCPU(b, start)
}

// BenchmarkReadStateHandler measures a read_state of /time through the
// handler, without sockets.
func BenchmarkReadStateHandler(b *testing.B) {
	n := newTestNode(b, httpapi.Config{})
	body := envelope(b, newKey(b), n.readStateContent([][]byte{[]byte("time")}))
	path := n.path("v3", "canister", "read_state")
	start := cpuTime()
	for b.Loop() {
		if w := n.post(path, body); w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	reportCPU(b, start)
}

// cpuTime returns the CPU time of the process so far, which is steadier
// than wall time on a machine other work shares.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-µs/op metric for the loop that started at start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e3, "cpu-µs/op")
}
