package rpc

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/fxamacker/cbor/v2"
)

func TestVerifySignResponse(t *testing.T) {
	pc, shares, err := thresholdsig.Deal(1, 1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rootDER := pc.PublicKey().DER()
	id := [32]byte{1, 2, 3}
	sig, pub := bytes.Repeat([]byte{7}, 64), bytes.Repeat([]byte{2}, 33)
	reply, _ := cbor.Marshal(certifiedReply{Signature: sig, PublicKey: pub})
	mk := func(status string, reply []byte) []byte {
		entries := []certification.PathValue{
			{Path: certification.Path("time"), Value: certification.AppendLEB128(nil, 1)},
			{Path: [][]byte{[]byte("request_status"), id[:], []byte("status")}, Value: []byte(status)},
			{Path: [][]byte{[]byte("request_status"), id[:], []byte("reply")}, Value: reply},
		}
		tree, err := certification.BuildTree(entries)
		if err != nil {
			t.Fatal(err)
		}
		c, err := certification.Certify(tree, func(m []byte) ([]byte, error) {
			s, err := thresholdsig.SignShare(shares[0], m)
			if err != nil {
				return nil, err
			}
			return thresholdsig.Combine(1, []int{shares[0].Index()}, [][]byte{s})
		})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := &chainkeypb.SignResponse{Signature: sig, PublicKey: pub, Certificate: mk("replied", reply), RequestId: id[:]}
	if err := VerifySignResponse(good, rootDER, id); err != nil {
		t.Fatal(err)
	}
	otherPC, _, _ := thresholdsig.Deal(1, 1, rand.Reader)
	otherReply, _ := cbor.Marshal(certifiedReply{Signature: bytes.Repeat([]byte{8}, 64), PublicKey: pub})
	for name, c := range map[string]struct {
		res  *chainkeypb.SignResponse
		root []byte
		id   [32]byte
	}{
		"other root key":    {good, otherPC.PublicKey().DER(), id},
		"other request":     {good, rootDER, [32]byte{9}},
		"signature swapped": {&chainkeypb.SignResponse{Signature: bytes.Repeat([]byte{8}, 64), PublicKey: pub, Certificate: good.Certificate, RequestId: id[:]}, rootDER, id},
		"reply differs":     {&chainkeypb.SignResponse{Signature: sig, PublicKey: pub, Certificate: mk("replied", otherReply), RequestId: id[:]}, rootDER, id},
		"not replied":       {&chainkeypb.SignResponse{Signature: sig, PublicKey: pub, Certificate: mk("processing", reply), RequestId: id[:]}, rootDER, id},
		"no certificate":    {&chainkeypb.SignResponse{Signature: sig, PublicKey: pub, RequestId: id[:]}, rootDER, id},
	} {
		err := VerifySignResponse(c.res, c.root, c.id)
		if !errors.Is(err, ErrBadCertificate) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
