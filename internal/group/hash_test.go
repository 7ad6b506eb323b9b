package group_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
)

type xmdVectors struct {
	DST   string `json:"DST"`
	Hash  string `json:"hash"`
	Tests []struct {
		LenInBytes   string `json:"len_in_bytes"`
		Msg          string `json:"msg"`
		UniformBytes string `json:"uniform_bytes"`
	} `json:"tests"`
}

// TestExpandMessageXMDVectors checks the RFC 9380 appendix K.1 vectors, with
// a short DST (38 bytes) and a long one (256 bytes, which RFC 9380 hashes
// down to "H2C-OVERSIZE-DST-" form).
func TestExpandMessageXMDVectors(t *testing.T) {
	for _, file := range []string{
		"testdata/rfc9380-expand_message_xmd_SHA256_38.json",
		"testdata/rfc9380-expand_message_xmd_SHA256_256.json",
	} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var v xmdVectors
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		if len(v.Tests) == 0 {
			t.Fatalf("%s: no tests", file)
		}
		for i, tc := range v.Tests {
			n, err := strconv.ParseUint(tc.LenInBytes, 0, 32)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := hex.DecodeString(tc.UniformBytes)
			got, err := group.ExpandMessageXMD([]byte(tc.Msg), []byte(v.DST), int(n))
			if len(v.DST) > 255 {
				// ExpandMessageXMD takes the DST as given and refuses one
				// over 255 bytes; RFC 9380 section 5.3.3 shortens it first.
				if err == nil {
					t.Fatalf("%s #%d: accepted a %d-byte DST", file, i, len(v.DST))
				}
				got, err = group.ExpandMessageXMD([]byte(tc.Msg), oversizeDST(v.DST), int(n))
			}
			if err != nil {
				t.Fatalf("%s #%d: %v", file, i, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s #%d (msg %q, len %d): got %x, want %x", file, i, tc.Msg, n, got, want)
			}
		}
	}
}

// oversizeDST applies RFC 9380 section 5.3.3 to a DST longer than 255 bytes.
func oversizeDST(dst string) []byte {
	h := sha256.Sum256(append([]byte("H2C-OVERSIZE-DST-"), dst...))
	return h[:]
}

func TestExpandMessageXMDRejects(t *testing.T) {
	dst := []byte("DST")
	for _, n := range []int{0, -1, 255*32 + 1, 65536} {
		if _, err := group.ExpandMessageXMD(nil, dst, n); err == nil {
			t.Errorf("accepted output length %d", n)
		}
	}
	if _, err := group.ExpandMessageXMD(nil, make([]byte, 256), 32); err == nil {
		t.Error("accepted a 256-byte DST")
	}
	if out, err := group.ExpandMessageXMD(nil, make([]byte, 255), 255*32); err != nil || len(out) != 255*32 {
		t.Errorf("maximal lengths: %v", err)
	}
}
