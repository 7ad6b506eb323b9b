package ingress

import (
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	for name, s := range signers(&testing.T{}) {
		env, err := NewSignEnvelope(s, testContent())
		if err != nil {
			b.Fatal(err)
		}
		wire := env.Marshal()
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				e, err := ParseEnvelope(wire)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := e.Verify(testNow, 5*time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNewSignEnvelope(b *testing.B) {
	for name, s := range signers(&testing.T{}) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := NewSignEnvelope(s, testContent()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
