package ingress

import (
	"testing"
)

// BenchmarkParseAuthenticateHTTP measures what a node does with every HTTP
// request before anything else: decode the envelope, compute the request
// id, verify the sender signature.
func BenchmarkParseAuthenticateHTTP(b *testing.B) {
	for name, s := range httpSigners(&testing.T{}) {
		e, err := NewHTTPEnvelope(callContent(), s, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		wire, _ := e.Marshal()
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				e, err := ParseHTTPEnvelope(wire)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := e.Authenticate(httpNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestID measures the representation-independent hash of a
// call's content.
func BenchmarkRequestID(b *testing.B) {
	c := callContent()
	for b.Loop() {
		c.RequestID()
	}
}
