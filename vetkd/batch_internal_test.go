package vetkd

import (
	"crypto/rand"
	"testing"

	"github.com/chainkey/chainkey/thresholdsig"
)

// TestBatchOK checks the combined equation itself (BatchVerifyShares
// falls back to single checks, which would hide a batch that refuses
// everything): valid shares pass in one check, one bad share fails it.
func TestBatchOK(t *testing.T) {
	pc, sks, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tsk, _ := GenerateTransportSecretKey(rand.Reader)
	d, err := NewDerivation(pc, &Request{CanisterID: []byte{1}, Context: []byte("c"), Input: []byte("in"),
		TransportPublicKey: tsk.PublicKey().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	var idx []int
	var shares []*EncryptedKey
	for i, sk := range sks {
		b, err := d.CreateShare(rand.Reader, sk)
		if err != nil {
			t.Fatal(err)
		}
		ek, err := ParseEncryptedKey(b)
		if err != nil {
			t.Fatal(err)
		}
		idx, shares = append(idx, i), append(shares, ek)
	}
	if !d.batchOK(idx, shares) {
		t.Fatal("valid shares fail the batch check")
	}
	if !d.batchOK(idx[1:2], shares[1:2]) {
		t.Fatal("one valid share fails the batch check")
	}
	wrong := []int{1, 0, 2, 3} // shares attributed to the wrong nodes
	if d.batchOK(wrong, shares) {
		t.Fatal("misattributed shares pass the batch check")
	}
}
