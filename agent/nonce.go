package agent

import "crypto/rand"

// newNonce returns 16 random bytes, which make otherwise equal calls
// distinct requests.
func newNonce() []byte {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return b
}
