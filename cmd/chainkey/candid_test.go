package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCandid(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newCandidCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(args)
	err := cmd.Execute()
	return strings.TrimSpace(out.String()), err
}

const candidTestDID = `
type Account = record { owner : principal; subaccount : opt blob };
type TransferArgs = record {
    from_subaccount : opt blob; to : Account; amount : nat;
    fee : opt nat; memo : opt blob; created_at_time : opt nat64;
};
type TransferError = variant { TooOld; GenericError : record { error_code : nat; message : text } };
service : {
    icrc1_transfer : (TransferArgs) -> (variant { Ok : nat; Err : TransferError });
}
`

func TestCandidCLI(t *testing.T) {
	did := filepath.Join(t.TempDir(), "icrc1.did")
	if err := os.WriteFile(did, []byte(candidTestDID), 0o600); err != nil {
		t.Fatal(err)
	}

	// Without types: inferred, and decoded at the message's own types.
	hexMsg, err := runCandid(t, "encode", `(42, "hi", true)`)
	if err != nil {
		t.Fatal(err)
	}
	if hexMsg != "4449444c00037c717e2a02686901" {
		t.Errorf("encode: %s", hexMsg)
	}
	text, err := runCandid(t, "decode", hexMsg)
	if err != nil {
		t.Fatal(err)
	}
	if text != `(42 : int, "hi", true)` {
		t.Errorf("decode: %s", text)
	}

	// With the service's types: names come back from their hashes.
	arg := `(record { to = record { owner = principal "ryjl3-tyaaa-aaaaa-aaaba-cai" }; amount = 1_000 : nat; memo = opt blob "x" })`
	hexArg, err := runCandid(t, "encode", arg, "--did", did, "--method", "icrc1_transfer")
	if err != nil {
		t.Fatal(err)
	}
	text, err = runCandid(t, "decode", hexArg, "--did", did, "--method", "icrc1_transfer")
	if err != nil {
		t.Fatal(err)
	}
	// As dfx prints it: fields in id order, broken over lines past 80 columns.
	want := `(
  record {
    to = record {
      owner = principal "ryjl3-tyaaa-aaaaa-aaaba-cai";
      subaccount = null;
    };
    fee = null;
    memo = opt blob "x";
    from_subaccount = null;
    created_at_time = null;
    amount = 1_000 : nat;
  },
)`
	if text != want {
		t.Errorf("decode with types:\n got %s\nwant %s", text, want)
	}
	// Without types the same message shows ids only.
	text, err = runCandid(t, "decode", hexArg)
	if err != nil || !strings.Contains(text, "1_000 : nat") || strings.Contains(text, "amount") {
		t.Errorf("decode without types: %s %v", text, err)
	}

	// Results.
	hexRes, err := runCandid(t, "encode", `(variant { Err = variant { TooOld } })`, "--did", did, "--method", "icrc1_transfer", "--results")
	if err != nil {
		t.Fatal(err)
	}
	text, err = runCandid(t, "decode", hexRes, "--did", did, "--method", "icrc1_transfer", "--results")
	if err != nil || text != `(variant { Err = variant { TooOld } })` {
		t.Errorf("results: %s %v", text, err)
	}

	// Errors.
	for _, args := range [][]string{
		{"decode", "zz"},
		{"decode", "4449444c0000ff"},
		{"encode", `(record { amount = -1 : int })`, "--did", did, "--method", "icrc1_transfer"},
		{"encode", `(1)`, "--did", did, "--method", "nope"},
		{"encode", `(1)`, "--method", "icrc1_transfer"},
		{"encode", `(1`},
	} {
		if out, err := runCandid(t, args...); err == nil {
			t.Errorf("%q: no error (%s)", args, out)
		}
	}
}
