package group_test

import (
	"encoding/hex"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
)

// ExpandMessageXMD is RFC 9380's expand_message_xmd with SHA-256; this is
// the first test vector of its appendix K.1.
func ExampleExpandMessageXMD() {
	out, _ := group.ExpandMessageXMD(nil, []byte("QUUX-V01-CS02-with-expander-SHA256-128"), 32)
	fmt.Println(hex.EncodeToString(out))
	// Output: 68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235
}

// HashToScalar maps a message to a scalar of any group, here Ed25519's.
func ExampleHashToScalar() {
	g := ed25519.Group()
	a, _ := group.HashToScalar(g, []byte("message"), []byte("chainkey-example"))
	b, _ := group.HashToScalar(g, []byte("message"), []byte("chainkey-example"))
	fmt.Println(len(a.Bytes()), a.Equal(b))
	// Output: 32 true
}
