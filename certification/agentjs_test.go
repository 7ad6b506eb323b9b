package certification_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"

	"github.com/chainkey/chainkey/internal/nodejstest"
)

// agentJSDir holds the Node project that runs @dfinity/agent.
const agentJSDir = "testdata/agentjs"

// agentCase is one certificate handed to verify.mjs. The exported fields are
// its JSON input; the others are what the test expects.
type agentCase struct {
	Name        string     `json:"name"`
	Certificate string     `json:"certificate"`
	RootKey     string     `json:"rootKey"`
	CanisterID  string     `json:"canisterId"`
	Expect      string     `json:"expect"`
	Lookups     [][]string `json:"lookups,omitempty"`

	raw      []byte
	root     *thresholdsig.PublicKey
	canister principal.Principal
	// For a refusal: the agent's error code and, if set, its reason and the
	// reason of the error it wraps.
	wantCode, wantReason, wantCause string
	// For an acceptance: the certificate's /time and the lookup answers.
	wantTime    uint64
	wantLookups []agentLookup
	// oursAccepts is the expected outcome of certification.Verify on the
	// same input (it differs from the agent's only where noted).
	oursAccepts bool
}

type agentLookup struct {
	Status string  `json:"status"`
	Value  *string `json:"value"`
}

type agentResult struct {
	Name      string        `json:"name"`
	Accepted  bool          `json:"accepted"`
	Error     *agentError   `json:"error"`
	TimeNanos *string       `json:"timeNanos"`
	Lookups   []agentLookup `json:"lookups"`
}

// agentError is an error thrown by the agent: its class, kind, error code
// and reason, and the error the code wraps.
type agentError struct {
	Name    string      `json:"name"`
	Kind    *string     `json:"kind"`
	Code    *string     `json:"code"`
	Reason  *string     `json:"reason"`
	Message string      `json:"message"`
	Cause   *agentError `json:"cause"`
}

func (e *agentError) String() string {
	if e == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%s %s %q: %s", e.Name, strPtr(e.Code), strPtr(e.Reason), e.Message)
	if e.Cause != nil {
		s += " (cause: " + e.Cause.String() + ")"
	}
	return s
}

type agentOutput struct {
	Agent struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"agent"`
	Results []agentResult `json:"results"`
}

// Agent error codes (class names of @dfinity/agent's ErrorCode subclasses).
const (
	codeVerification  = "CertificateVerificationErrorCode"
	codeNotAuthorized = "CertificateNotAuthorizedErrorCode"
	codeTime          = "CertificateTimeErrorCode"
	// The agent reports a failed signature check as "Signature verification
	// failed", wrapping its own "Invalid signature" when the BLS pairing
	// check ran and gave false, or the BLS library's error when the
	// signature or key did not decode.
	reasonSigFailed  = "Signature verification failed"
	reasonInvalidSig = "Invalid signature"
)

// dealtKey is a threshold BLS key of a 4-node subnet with threshold 3.
type dealtKey struct {
	pc     *thresholdsig.PublicCoefficients
	shares []*thresholdsig.SecretKeyShare
}

func newDealtKey(t *testing.T) *dealtKey {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range shares {
			s.Zeroize()
		}
	})
	return &dealtKey{pc: pc, shares: shares}
}

func (k *dealtKey) public() *thresholdsig.PublicKey { return k.pc.PublicKey() }

// signer returns a signing function in which the given nodes sign shares,
// each share is checked, and the shares are combined.
func (k *dealtKey) signer(nodes ...int) func([]byte) ([]byte, error) {
	return func(msg []byte) ([]byte, error) {
		shares := make([][]byte, len(nodes))
		for j, i := range nodes {
			s, err := thresholdsig.SignShare(k.shares[i], msg)
			if err != nil {
				return nil, err
			}
			if err := thresholdsig.VerifyShare(k.pc, i, msg, s); err != nil {
				return nil, err
			}
			shares[j] = s
		}
		return thresholdsig.Combine(k.pc.Threshold(), nodes, shares)
	}
}

func leb(v uint64) []byte { return certification.AppendLEB128(nil, v) }

func labels(parts ...[]byte) [][]byte { return parts }

func mustTree(t *testing.T, entries []certification.PathValue) certification.HashTree {
	t.Helper()
	tree, err := certification.BuildTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func mustWitness(t *testing.T, tree certification.HashTree, paths ...[][]byte) certification.HashTree {
	t.Helper()
	w, err := certification.Witness(tree, paths)
	if err != nil {
		t.Fatal(err)
	}
	if w.Digest() != tree.Digest() {
		t.Fatal("witness changed the digest")
	}
	return w
}

func mustCertify(t *testing.T, tree certification.HashTree, sign func([]byte) ([]byte, error)) *certification.Certificate {
	t.Helper()
	c, err := certification.Certify(tree, sign)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustMarshal(t *testing.T, c *certification.Certificate) []byte {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexPath(p [][]byte) []string {
	out := make([]string, len(p))
	for i, l := range p {
		out[i] = hex.EncodeToString(l)
	}
	return out
}

func found(v []byte) agentLookup {
	s := hex.EncodeToString(v)
	return agentLookup{Status: "Found", Value: &s}
}

// agentCases builds the certificates. now is the current time: the agent
// refuses certificates whose /time is more than 5 minutes from its clock.
func agentCases(t *testing.T, now time.Time) []*agentCase {
	root, subnetKey, otherKey := newDealtKey(t), newDealtKey(t), newDealtKey(t)
	nowNs := uint64(now.UnixNano())

	lo, hi := principal.FromCanisterIndex(0x100000), principal.FromCanisterIndex(0x1fffff)
	inside := principal.FromCanisterIndex(0x100005)
	other := principal.FromCanisterIndex(0x100006)
	outside, below := principal.FromCanisterIndex(0x200000), principal.FromCanisterIndex(0xff)
	subnetID := principal.SelfAuthenticating(subnetKey.public().DER())
	otherSubnet := principal.SelfAuthenticating(otherKey.public().DER())

	data := sha256.Sum256([]byte("certified data of the canister"))
	dataPath := labels([]byte("canister"), inside.Bytes(), []byte("certified_data"))
	otherPath := labels([]byte("canister"), other.Bytes(), []byte("certified_data"))
	timePath := certification.Path("time")
	absentPath := labels([]byte("canister"), outside.Bytes(), []byte("certified_data"))

	stateTree := func(when uint64, value []byte) certification.HashTree {
		return mustTree(t, []certification.PathValue{
			{Path: timePath, Value: leb(when)},
			{Path: dataPath, Value: value},
			{Path: otherPath, Value: []byte("another canister")},
			{Path: labels([]byte("canister"), other.Bytes(), []byte("module_hash")), Value: bytes.Repeat([]byte{7}, 32)},
		})
	}

	// (a) Signed by the root key directly: the full tree, and a witness of
	// it as read_state would return it.
	full := stateTree(nowNs, data[:])
	rootSigned := mustCertify(t, full, root.signer(0, 1, 2))
	witness := mustWitness(t, full, timePath, dataPath, absentPath)
	rootWitness := &certification.Certificate{Tree: witness, Signature: rootSigned.Signature}
	// Another subset of signers gives the same signature.
	if again := mustCertify(t, witness, root.signer(1, 2, 3)); !bytes.Equal(again.Signature, rootSigned.Signature) {
		t.Fatal("signer subsets {0,1,2} and {1,2,3} disagree")
	}

	// (b) A delegation from the root key to the subnet key, revealing the
	// subnet's public key and canister ranges, pruned from a root-subnet
	// state that also holds another subnet.
	delegationTree := func(ranges []certification.CanisterRange) certification.HashTree {
		sid := subnetID.Bytes()
		tree := mustTree(t, []certification.PathValue{
			{Path: timePath, Value: leb(nowNs - uint64(time.Hour))},
			{Path: labels([]byte("subnet"), sid, []byte("public_key")), Value: subnetKey.public().DER()},
			{Path: labels([]byte("subnet"), sid, []byte("canister_ranges")), Value: certification.EncodeCanisterRanges(ranges)},
			{Path: labels([]byte("subnet"), otherSubnet.Bytes(), []byte("public_key")), Value: otherKey.public().DER()},
			{Path: labels([]byte("subnet"), otherSubnet.Bytes(), []byte("canister_ranges")), Value: certification.EncodeCanisterRanges(
				[]certification.CanisterRange{{Low: outside, High: principal.FromCanisterIndex(0x2fffff)}})},
		})
		return mustWitness(t, tree, timePath,
			labels([]byte("subnet"), sid, []byte("public_key")),
			labels([]byte("subnet"), sid, []byte("canister_ranges")))
	}
	ranges := []certification.CanisterRange{
		{Low: principal.FromCanisterIndex(0x10), High: principal.FromCanisterIndex(0x20)},
		{Low: lo, High: hi},
	}
	delegCert := mustCertify(t, delegationTree(ranges), root.signer(0, 2, 3))
	delegation := &certification.Delegation{SubnetID: subnetID, Certificate: delegCert}
	delegated := mustCertify(t, mustWitness(t, full, timePath, dataPath), subnetKey.signer(1, 2, 3))
	delegated.Delegation = delegation

	// (c) Negatives.
	tamperedTree := &certification.Certificate{Tree: stateTree(nowNs, []byte("forged")), Signature: rootSigned.Signature}
	tamperedDelegated := &certification.Certificate{Tree: stateTree(nowNs, []byte("forged")), Signature: delegated.Signature, Delegation: delegation}
	// The delegation's ranges widened to take in `outside`, without a new
	// root signature.
	widened := &certification.Certificate{Tree: delegated.Tree, Signature: delegated.Signature, Delegation: &certification.Delegation{
		SubnetID: subnetID,
		Certificate: &certification.Certificate{
			Tree:      delegationTree([]certification.CanisterRange{{Low: lo, High: principal.FromCanisterIndex(0x2fffff)}}),
			Signature: delegCert.Signature,
		},
	}}
	// Signed by the root key while claiming a delegation to the subnet.
	rootWithDelegation := &certification.Certificate{Tree: delegated.Tree, Signature: rootSigned.Signature, Delegation: delegation}
	// A delegation to the subnet key signed by a key that is not the root.
	foreignDelegation := &certification.Certificate{Tree: delegated.Tree, Signature: delegated.Signature, Delegation: &certification.Delegation{
		SubnetID: subnetID, Certificate: mustCertify(t, delegationTree(ranges), otherKey.signer(0, 1, 3)),
	}}
	// A signature from shares of two different keys' nodes: not a valid
	// signature of either.
	mixed := mustCertify(t, full, func(msg []byte) ([]byte, error) {
		var shares [][]byte
		for j, k := range []*dealtKey{root, root, otherKey} {
			s, err := thresholdsig.SignShare(k.shares[j], msg)
			if err != nil {
				return nil, err
			}
			shares = append(shares, s)
		}
		return thresholdsig.Combine(3, []int{0, 1, 2}, shares)
	})
	stale := mustCertify(t, stateTree(nowNs-uint64(10*time.Minute), data[:]), root.signer(0, 1, 3))
	future := mustCertify(t, stateTree(nowNs+uint64(10*time.Minute), data[:]), root.signer(0, 1, 3))

	// An accepted certificate must answer the lookups as this package's
	// Lookup does: Found values, Absent and Unknown (pruned) paths.
	statusNames := map[certification.LookupStatus]string{
		certification.Found: "Found", certification.Absent: "Absent",
		certification.Unknown: "Unknown", certification.Error: "Error",
	}
	accept := func(name string, c *certification.Certificate, key *thresholdsig.PublicKey, canister principal.Principal) *agentCase {
		ac := &agentCase{
			Name: name, raw: mustMarshal(t, c), root: key, canister: canister, Expect: "accept",
			wantTime: nowNs, oursAccepts: true,
		}
		for _, p := range [][][]byte{timePath, dataPath, otherPath, absentPath} {
			status, v := c.Lookup(p...)
			want := agentLookup{Status: statusNames[status]}
			if status == certification.Found {
				want = found(v)
			}
			ac.Lookups = append(ac.Lookups, hexPath(p))
			ac.wantLookups = append(ac.wantLookups, want)
		}
		if d := ac.wantLookups[1]; d.Value == nil || *d.Value != hex.EncodeToString(data[:]) {
			t.Fatalf("%s: certified data not in the tree", name)
		}
		return ac
	}
	reject := func(name string, c *certification.Certificate, key *thresholdsig.PublicKey, canister principal.Principal, code, reason string) *agentCase {
		ac := &agentCase{
			Name: name, raw: mustMarshal(t, c), root: key, canister: canister, Expect: "reject",
			wantCode: code, wantReason: reason,
		}
		if reason == reasonInvalidSig {
			ac.wantReason, ac.wantCause = reasonSigFailed, reasonInvalidSig
		}
		return ac
	}

	cases := []*agentCase{
		accept("root-signed", rootSigned, root.public(), inside),
		// Without a delegation no canister ranges apply.
		accept("root-signed/any-canister", rootSigned, root.public(), outside),
		accept("root-signed/witness", rootWitness, root.public(), inside),
		accept("delegated", delegated, root.public(), inside),
		accept("delegated/range-low", delegated, root.public(), lo),
		accept("delegated/range-high", delegated, root.public(), hi),
		accept("delegated/first-range", delegated, root.public(), principal.FromCanisterIndex(0x15)),

		reject("root-signed/wrong-root-key", rootSigned, otherKey.public(), inside, codeVerification, reasonInvalidSig),
		reject("root-signed/subnet-key-as-root", rootSigned, subnetKey.public(), inside, codeVerification, reasonInvalidSig),
		reject("root-signed/tampered-tree", tamperedTree, root.public(), inside, codeVerification, reasonInvalidSig),
		reject("root-signed/mixed-key-shares", mixed, root.public(), inside, codeVerification, reasonInvalidSig),
		reject("delegated/wrong-root-key", delegated, otherKey.public(), inside, codeVerification, reasonInvalidSig),
		reject("delegated/tampered-tree", tamperedDelegated, root.public(), inside, codeVerification, reasonInvalidSig),
		reject("delegated/canister-above-ranges", delegated, root.public(), outside, codeNotAuthorized, ""),
		reject("delegated/canister-below-ranges", delegated, root.public(), below, codeNotAuthorized, ""),
		reject("delegated/canister-between-ranges", delegated, root.public(), principal.FromCanisterIndex(0x21), codeNotAuthorized, ""),
		reject("delegated/widened-ranges", widened, root.public(), outside, codeVerification, reasonInvalidSig),
		reject("delegated/signed-by-root-not-subnet", rootWithDelegation, root.public(), inside, codeVerification, reasonInvalidSig),
		reject("delegated/delegation-not-by-root", foreignDelegation, root.public(), inside, codeVerification, reasonInvalidSig),
		reject("root-signed/stale-time", stale, root.public(), inside, codeTime, "past"),
		reject("root-signed/future-time", future, root.public(), inside, codeTime, "future"),
	}

	// A signature with one bit flipped.
	flipped := mustMarshal(t, rootSigned)
	sigAt := bytes.Index(flipped, rootSigned.Signature)
	if sigAt < 0 {
		t.Fatal("signature not found in the encoding")
	}
	flipped[sigAt+20] ^= 0x04
	cases = append(cases, &agentCase{
		Name: "root-signed/flipped-signature-bit", raw: flipped, root: root.public(), canister: inside,
		Expect: "reject", wantCode: codeVerification, wantReason: reasonSigFailed,
	})

	for _, c := range cases {
		c.Certificate = hex.EncodeToString(c.raw)
		c.RootKey = hex.EncodeToString(c.root.DER())
		c.CanisterID = c.canister.String()
	}
	return cases
}

// TestAgentJSVerifiesCertificates checks certificates with the IC agent for
// JavaScript, @dfinity/agent from npm, the wallet-side verifier. It hands it
// certificates made by this package (threshold-BLS signed, with and without
// delegations) and checks that it accepts exactly the valid ones and refuses
// the others for the expected reason. The Node project and its pinned
// versions live in testdata/agentjs (package.json, package-lock.json,
// verify.mjs); node_modules is installed there with `npm ci` when missing or
// out of date.
//
// The test fails when node or npm is not on PATH. CHAINKEY_SKIP_NODE=1 skips
// it (for machines without Node.js or without access to the npm registry).
//
// certification.Verify is run on the same inputs and must agree.
func TestAgentJSVerifiesCertificates(t *testing.T) {
	js := nodejstest.Install(t, agentJSDir, "@dfinity/agent")

	now := time.Now()
	cases := agentCases(t, now)

	// Our own verifier agrees with the agent (a 5-minute age bound, as the
	// agent's default, and 30 days for delegations, as the agent's).
	for _, c := range cases {
		cert, err := certification.ParseCertificate(c.raw)
		if err == nil {
			canister := c.canister
			_, err = certification.Verify(cert, c.root, certification.VerifyOptions{
				CanisterID: &canister, MaxAge: 5 * time.Minute, DelegationMaxAge: 30 * 24 * time.Hour, Now: now,
			})
		}
		if (err == nil) != c.oursAccepts {
			t.Errorf("%s: certification.Verify: %v, want accepted=%v", c.Name, err, c.oursAccepts)
		}
	}

	out := runAgentJS(t, js, cases)
	t.Logf("%s %s verified %d certificates", out.Agent.Name, out.Agent.Version, len(out.Results))
	if len(out.Results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(out.Results), len(cases))
	}
	for i, c := range cases {
		r := out.Results[i]
		if r.Name != c.Name {
			t.Fatalf("result %d is %q, want %q", i, r.Name, c.Name)
		}
		if c.Expect == "accept" {
			if !r.Accepted {
				t.Errorf("%s: refused by the agent: %+v", c.Name, r.Error)
				continue
			}
			if r.TimeNanos == nil || *r.TimeNanos != fmt.Sprint(c.wantTime) {
				t.Errorf("%s: agent read /time %v, want %d", c.Name, r.TimeNanos, c.wantTime)
			}
			if len(r.Lookups) != len(c.wantLookups) {
				t.Errorf("%s: %d lookups, want %d", c.Name, len(r.Lookups), len(c.wantLookups))
				continue
			}
			for j, want := range c.wantLookups {
				got := r.Lookups[j]
				if got.Status != want.Status || (got.Value == nil) != (want.Value == nil) ||
					(got.Value != nil && *got.Value != *want.Value) {
					t.Errorf("%s: agent lookup %v = %s %v, want %s %v", c.Name, c.Lookups[j],
						got.Status, strPtr(got.Value), want.Status, strPtr(want.Value))
				}
			}
			if testing.Verbose() {
				var st []string
				for _, l := range r.Lookups {
					st = append(st, l.Status)
				}
				t.Logf("%s: accepted for %s; /time %s; lookups %v", c.Name, c.CanisterID, *r.TimeNanos, st)
			}
			continue
		}
		if r.Accepted {
			t.Errorf("%s: accepted by the agent, want refusal with %s", c.Name, c.wantCode)
			continue
		}
		e := r.Error
		if e == nil {
			t.Errorf("%s: refused without an error", c.Name)
			continue
		}
		ok := strPtr(e.Code) == c.wantCode && (c.wantReason == "" || strPtr(e.Reason) == c.wantReason)
		if c.wantCause != "" {
			ok = ok && e.Cause != nil && strPtr(e.Cause.Code) == c.wantCode && strPtr(e.Cause.Reason) == c.wantCause
		}
		if !ok {
			t.Errorf("%s: refused with %v; want %s %q (cause %q)", c.Name, e, c.wantCode, c.wantReason, c.wantCause)
		} else if testing.Verbose() {
			t.Logf("%s: refused: %v", c.Name, e)
		}
	}
}

func strPtr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// runAgentJS runs verify.mjs on the cases.
func runAgentJS(t *testing.T, js *nodejstest.Project, cases []*agentCase) agentOutput {
	t.Helper()
	in, err := json.Marshal(map[string]any{"cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	stdout := js.Run(t, "verify.mjs", in)
	var out agentOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("node verify.mjs output: %v\n%s", err, stdout)
	}
	if out.Agent.Name != "@dfinity/agent" || out.Agent.Version == "" {
		t.Fatalf("verify.mjs ran agent %q %q", out.Agent.Name, out.Agent.Version)
	}
	return out
}
