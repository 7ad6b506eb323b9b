package transcript_test

import (
	"fmt"

	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/transcript"
)

// A prover and a verifier derive the same challenge from the same statement
// and prover message; any change to either gives another challenge.
func Example() {
	g := secp256k1.Group()
	statement := g.Generator()
	challenge := func(session string) string {
		t := transcript.New("chainkey/example/pok-v1")
		t.AppendBytes("session", []byte(session))
		t.AppendUint64("dealer", 3)
		t.AppendPoint("statement", g, statement)
		return fmt.Sprintf("%x", t.Challenge("c", g).Bytes())
	}
	fmt.Println("prover and verifier agree:", challenge("s1") == challenge("s1"))
	fmt.Println("another session, another challenge:", challenge("s1") != challenge("s2"))
	// Output:
	// prover and verifier agree: true
	// another session, another challenge: true
}
