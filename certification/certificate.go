package certification

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// SignatureSize is the length of a certificate signature: a compressed
// BLS12-381 G1 point.
const SignatureSize = 48

// StateRootDomain is the domain separator prepended to a root hash before it
// is signed: "\x0dic-state-root".
const StateRootDomain = "\x0dic-state-root"

// Certificate is an IC certificate: a hash tree, a BLS signature over its
// root hash and an optional delegation from the root subnet.
type Certificate struct {
	Tree       HashTree
	Signature  []byte
	Delegation *Delegation // nil for certificates signed by the root key
}

// Delegation links a subnet's key to the root key: Certificate is a
// certificate by the root subnet whose tree reveals
// /subnet/<SubnetID>/public_key and the subnet's canister ranges.
type Delegation struct {
	SubnetID    principal.Principal
	Certificate *Certificate
}

// StateRootMessage returns the message a certificate's signature is over:
// StateRootDomain || rootHash.
func StateRootMessage(rootHash [32]byte) []byte {
	return append([]byte(StateRootDomain), rootHash[:]...)
}

// ParseCertificate decodes the CBOR form of a certificate:
//
//	#6.55799({"tree": hash-tree, "signature": bytes(48),
//	          ? "delegation": {"subnet_id": bytes, "certificate": bytes}})
//
// The self-describing tag is optional on input. Keys may come in any order;
// a duplicate key, a missing "tree" or "signature", or trailing bytes are
// errors. Entries under unknown keys are skipped after checking that they are
// well-formed CBOR, as IC agents ignore them; "delegation": null is read as no
// delegation. The delegation's certificate is parsed as well; a delegation
// certificate that itself carries a delegation is refused (the IC allows one
// level). Encodings must be in shortest form with definite lengths; see
// DecodeHashTree for the tree.
func ParseCertificate(b []byte) (*Certificate, error) {
	c, err := parseCertificate(b, 0)
	if err != nil {
		return nil, fmt.Errorf("certification: parse certificate: %w", err)
	}
	return c, nil
}

func parseCertificate(b []byte, level int) (*Certificate, error) {
	r := &cborReader{b: b}
	if err := r.optionalSelfDescribingTag(); err != nil {
		return nil, err
	}
	n, err := r.container(majorMap)
	if err != nil {
		return nil, err
	}
	c := &Certificate{}
	seen := map[string]bool{}
	for range n {
		key, err := r.textString()
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		switch key {
		case "tree":
			if c.Tree, err = decodeTree(r, 1); err != nil {
				return nil, fmt.Errorf("tree: %w", err)
			}
		case "signature":
			sig, err := r.byteString()
			if err != nil {
				return nil, fmt.Errorf("signature: %w", err)
			}
			if len(sig) != SignatureSize {
				return nil, fmt.Errorf("signature of %d bytes, want %d", len(sig), SignatureSize)
			}
			c.Signature = append([]byte(nil), sig...)
		case "delegation":
			if r.isNull() {
				continue
			}
			if c.Delegation, err = parseDelegation(r, level); err != nil {
				return nil, fmt.Errorf("delegation: %w", err)
			}
		default:
			if err := r.skip(1); err != nil {
				return nil, fmt.Errorf("value of %q: %w", key, err)
			}
		}
	}
	if c.Tree == nil {
		return nil, errors.New(`missing "tree"`)
	}
	if c.Signature == nil {
		return nil, errors.New(`missing "signature"`)
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", r.remaining())
	}
	return c, nil
}

func parseDelegation(r *cborReader, level int) (*Delegation, error) {
	if level > 0 {
		return nil, errors.New("delegation certificate carries its own delegation")
	}
	n, err := r.container(majorMap)
	if err != nil {
		return nil, err
	}
	d := &Delegation{}
	var haveSubnet bool
	seen := map[string]bool{}
	for range n {
		key, err := r.textString()
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		switch key {
		case "subnet_id":
			b, err := r.byteString()
			if err != nil {
				return nil, fmt.Errorf("subnet_id: %w", err)
			}
			if d.SubnetID, err = principal.FromBytes(b); err != nil {
				return nil, fmt.Errorf("subnet_id: %w", err)
			}
			haveSubnet = true
		case "certificate":
			b, err := r.byteString()
			if err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
			if d.Certificate, err = parseCertificate(b, level+1); err != nil {
				return nil, fmt.Errorf("certificate: %w", err)
			}
		default:
			if err := r.skip(1); err != nil {
				return nil, fmt.Errorf("value of %q: %w", key, err)
			}
		}
	}
	if !haveSubnet {
		return nil, errors.New(`missing "subnet_id"`)
	}
	if d.Certificate == nil {
		return nil, errors.New(`missing "certificate"`)
	}
	return d, nil
}

// Marshal returns the CBOR form of c, with the self-describing tag and the
// keys in the order tree, signature, delegation (the order the IC uses, which
// is also canonical CBOR order).
func (c *Certificate) Marshal() ([]byte, error) {
	b, err := c.appendTo(nil, 0)
	if err != nil {
		return nil, fmt.Errorf("certification: marshal certificate: %w", err)
	}
	return b, nil
}

func (c *Certificate) appendTo(b []byte, level int) ([]byte, error) {
	if c.Tree == nil {
		return nil, errors.New("no tree")
	}
	if len(c.Signature) != SignatureSize {
		return nil, fmt.Errorf("signature of %d bytes, want %d", len(c.Signature), SignatureSize)
	}
	b = appendHead(b, majorTag, selfDescribingTag)
	entries := uint64(2)
	if c.Delegation != nil {
		entries = 3
	}
	b = appendHead(b, majorMap, entries)
	b = appendText(b, "tree")
	b, err := appendTree(b, c.Tree, 1)
	if err != nil {
		return nil, err
	}
	b = appendBytes(appendText(b, "signature"), c.Signature)
	if c.Delegation == nil {
		return b, nil
	}
	if level > 0 {
		return nil, errors.New("delegation certificate carries its own delegation")
	}
	if c.Delegation.Certificate == nil {
		return nil, errors.New("delegation without certificate")
	}
	inner, err := c.Delegation.Certificate.appendTo(nil, level+1)
	if err != nil {
		return nil, fmt.Errorf("delegation: %w", err)
	}
	b = appendHead(appendText(b, "delegation"), majorMap, 2)
	b = appendBytes(appendText(b, "subnet_id"), c.Delegation.SubnetID.Bytes())
	b = appendBytes(appendText(b, "certificate"), inner)
	return b, nil
}

// Lookup looks path up in the certificate's tree (see Lookup). It does not
// verify the certificate.
func (c *Certificate) Lookup(path ...[]byte) (LookupStatus, []byte) {
	return Lookup(c.Tree, path)
}

// Certify builds a certificate for tree: it signs StateRootMessage of the
// tree's digest with sign (for a subnet, a threshold BLS signature) and
// checks that the signature has the right size. The result has no
// delegation.
func Certify(tree HashTree, sign func(msg []byte) ([]byte, error)) (*Certificate, error) {
	if tree == nil {
		return nil, errors.New("certification: certify: nil tree")
	}
	sig, err := sign(StateRootMessage(tree.Digest()))
	if err != nil {
		return nil, fmt.Errorf("certification: certify: %w", err)
	}
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("certification: certify: signature of %d bytes, want %d", len(sig), SignatureSize)
	}
	return &Certificate{Tree: tree, Signature: sig}, nil
}

// VerifyOptions are the optional checks of Verify.
type VerifyOptions struct {
	// CanisterID, if set, must lie in the canister ranges of the
	// delegation's subnet when the certificate has a delegation. A
	// certificate of the root subnet (no delegation) may certify any
	// canister.
	CanisterID *principal.Principal
	// MaxAge, if positive, refuses a certificate whose /time is older than
	// Now − MaxAge or later than Now + MaxAge (clock skew is bounded the same
	// way both ways, as IC agents do).
	MaxAge time.Duration
	// DelegationMaxAge, if positive, bounds the age of the delegation's
	// certificate the same way. If zero, MaxAge applies to it. Delegations
	// are only refreshed when a replica restarts, so callers checking
	// fresh certificates from a real subnet set this to days or weeks.
	DelegationMaxAge time.Duration
	// Now is the current time for the age checks; zero means time.Now().
	Now time.Time
	// Signatures, if set, skips the pairing check of signatures that
	// verified before under the same key and message.
	Signatures *SignatureCache
}

// Info is what Verify learns from a valid certificate.
type Info struct {
	// Time is the certificate's /time in nanoseconds since the Unix epoch.
	Time uint64
	// RootHash is the digest of the certificate's tree (the signed value).
	RootHash [32]byte
	// Delegated reports whether the certificate came with a delegation;
	// DelegationSubnet is then the delegated subnet's id.
	Delegated        bool
	DelegationSubnet principal.Principal
}

// Verify checks a certificate against the root public key as the IC
// interface specification ("Certificate", "Delegation") describes it:
//
//   - without a delegation, the signature must verify under rootKey over
//     StateRootMessage(root hash);
//   - with a delegation, the delegation's certificate must carry no
//     delegation of its own, must verify under rootKey, and must reveal
//     /subnet/<subnet_id>/public_key (a DER BLS key), under which the outer
//     signature must verify;
//   - /time must be present in the certificate (and in the delegation's
//     certificate) as a LEB128 number of nanoseconds, and is checked against
//     the age bounds of opts;
//   - if opts.CanisterID is set and there is a delegation, the canister must
//     lie in the subnet's canister ranges (see checkCanisterRanges).
func Verify(c *Certificate, rootKey *thresholdsig.PublicKey, opts VerifyOptions) (Info, error) {
	info, err := verify(c, rootKey, opts)
	if err != nil {
		return Info{}, fmt.Errorf("certification: verify: %w", err)
	}
	return info, nil
}

func verify(c *Certificate, rootKey *thresholdsig.PublicKey, opts VerifyOptions) (Info, error) {
	if c == nil || c.Tree == nil {
		return Info{}, errors.New("no certificate")
	}
	if rootKey == nil {
		return Info{}, errors.New("no root key")
	}
	now := opts.Now
	if now.IsZero() && (opts.MaxAge > 0 || opts.DelegationMaxAge > 0) {
		now = time.Now()
	}
	info := Info{RootHash: c.Tree.Digest()}
	key := rootKey
	if d := c.Delegation; d != nil {
		if d.Certificate == nil {
			return Info{}, errors.New("delegation without certificate")
		}
		if d.Certificate.Delegation != nil {
			return Info{}, errors.New("delegation certificate carries its own delegation")
		}
		dc := d.Certificate
		if err := checkSignature(dc, rootKey, opts.Signatures); err != nil {
			return Info{}, fmt.Errorf("delegation certificate: %w", err)
		}
		dt, err := certificateTime(dc)
		if err != nil {
			return Info{}, fmt.Errorf("delegation certificate: %w", err)
		}
		maxAge := opts.DelegationMaxAge
		if maxAge <= 0 {
			maxAge = opts.MaxAge
		}
		if err := checkAge(dt, now, maxAge); err != nil {
			return Info{}, fmt.Errorf("delegation certificate: %w", err)
		}
		sid := d.SubnetID.Bytes()
		status, der := dc.Lookup([]byte("subnet"), sid, []byte("public_key"))
		if status != Found {
			return Info{}, fmt.Errorf("delegation certificate: /subnet/%s/public_key is %v", d.SubnetID, status)
		}
		if key, err = thresholdsig.ParseDERPublicKey(der); err != nil {
			return Info{}, fmt.Errorf("delegation certificate: subnet public key: %w", err)
		}
		if opts.CanisterID != nil {
			if err := checkCanisterRanges(dc, d.SubnetID, *opts.CanisterID); err != nil {
				return Info{}, err
			}
		}
		info.Delegated, info.DelegationSubnet = true, d.SubnetID
	}
	if err := checkSignature(c, key, opts.Signatures); err != nil {
		return Info{}, err
	}
	t, err := certificateTime(c)
	if err != nil {
		return Info{}, err
	}
	if err := checkAge(t, now, opts.MaxAge); err != nil {
		return Info{}, err
	}
	info.Time = t
	return info, nil
}

func checkSignature(c *Certificate, key *thresholdsig.PublicKey, cache *SignatureCache) error {
	if len(c.Signature) != SignatureSize {
		return fmt.Errorf("signature of %d bytes, want %d", len(c.Signature), SignatureSize)
	}
	if err := cache.Verify(key, StateRootMessage(c.Tree.Digest()), c.Signature); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	return nil
}

// certificateTime reads /time.
func certificateTime(c *Certificate) (uint64, error) {
	status, v := c.Lookup([]byte("time"))
	if status != Found {
		return 0, fmt.Errorf("/time is %v", status)
	}
	t, err := DecodeLEB128(v)
	if err != nil {
		return 0, fmt.Errorf("/time: %w", err)
	}
	return t, nil
}

func checkAge(t uint64, now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		return nil
	}
	oldest := now.UnixNano() - int64(maxAge) // no overflow for dates after 1970
	if t <= math.MaxInt64 && int64(t) < oldest {
		return fmt.Errorf("time %s is older than %v before %s",
			time.Unix(0, int64(t)).UTC().Format(time.RFC3339Nano), maxAge, now.UTC().Format(time.RFC3339Nano))
	}
	latest := now.UnixNano() + int64(maxAge)
	if t > math.MaxInt64 || int64(t) > latest {
		return fmt.Errorf("time %d ns is more than %v after %s", t, maxAge, now.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// checkCanisterRanges checks that canister lies in the canister ranges the
// delegation certificate dc gives subnet. Two layouts exist:
//
//   - /canister_ranges/<subnet>/<first canister id of shard>: the current
//     sharded form; every revealed shard is a CBOR list of ranges, and the
//     canister must lie in one of them (lookup* of the specification: each
//     shard is a certified part of the subnet's ranges, so the union is
//     sound even when other shards are pruned);
//   - /subnet/<subnet>/canister_ranges: the older single list.
//
// Every layout that is present must contain the canister, and at least one
// must be present (revealed): a delegation that proves no ranges is refused.
func checkCanisterRanges(dc *Certificate, subnet, canister principal.Principal) error {
	sid := subnet.Bytes()
	checked := false
	status, sub := LookupSubtree(dc.Tree, [][]byte{[]byte("canister_ranges"), sid})
	if status == Error {
		return fmt.Errorf("delegation certificate: /canister_ranges/%s is malformed", subnet)
	}
	if status == Found {
		shards := Leaves(sub)
		if len(shards) > 0 {
			in := false
			for _, s := range shards {
				ranges, err := ParseCanisterRanges(s.Value)
				if err != nil {
					return fmt.Errorf("delegation certificate: /canister_ranges/%s shard: %w", subnet, err)
				}
				in = in || inRanges(ranges, canister)
			}
			if !in {
				return fmt.Errorf("canister %s is not in the ranges of subnet %s (/canister_ranges)", canister, subnet)
			}
			checked = true
		}
	}
	status, v := dc.Lookup([]byte("subnet"), sid, []byte("canister_ranges"))
	switch status {
	case Found:
		ranges, err := ParseCanisterRanges(v)
		if err != nil {
			return fmt.Errorf("delegation certificate: /subnet/%s/canister_ranges: %w", subnet, err)
		}
		if !inRanges(ranges, canister) {
			return fmt.Errorf("canister %s is not in the ranges of subnet %s (/subnet/.../canister_ranges)", canister, subnet)
		}
		checked = true
	case Error:
		return fmt.Errorf("delegation certificate: /subnet/%s/canister_ranges is malformed", subnet)
	}
	if !checked {
		return fmt.Errorf("delegation certificate proves no canister ranges for subnet %s", subnet)
	}
	return nil
}

// CanisterRange is a closed interval [Low, High] of principals, in the
// lexicographic order of their binary forms.
type CanisterRange struct {
	Low, High principal.Principal
}

// ParseCanisterRanges decodes a canister-ranges value,
// #6.55799([* [low: bytes, high: bytes]]); the tag is optional.
func ParseCanisterRanges(b []byte) ([]CanisterRange, error) {
	r := &cborReader{b: b}
	if err := r.optionalSelfDescribingTag(); err != nil {
		return nil, fmt.Errorf("canister ranges: %w", err)
	}
	n, err := r.container(majorArray)
	if err != nil {
		return nil, fmt.Errorf("canister ranges: %w", err)
	}
	out := make([]CanisterRange, 0, n)
	for range n {
		m, err := r.container(majorArray)
		if err != nil {
			return nil, fmt.Errorf("canister ranges: %w", err)
		}
		if m != 2 {
			return nil, fmt.Errorf("canister ranges: range of %d elements", m)
		}
		var ends [2]principal.Principal
		for j := range ends {
			v, err := r.byteString()
			if err != nil {
				return nil, fmt.Errorf("canister ranges: %w", err)
			}
			if ends[j], err = principal.FromBytes(v); err != nil {
				return nil, fmt.Errorf("canister ranges: %w", err)
			}
		}
		out = append(out, CanisterRange{Low: ends[0], High: ends[1]})
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("canister ranges: %d trailing bytes", r.remaining())
	}
	return out, nil
}

// EncodeCanisterRanges returns the tagged CBOR form of ranges.
func EncodeCanisterRanges(ranges []CanisterRange) []byte {
	b := appendHead(nil, majorTag, selfDescribingTag)
	b = appendHead(b, majorArray, uint64(len(ranges)))
	for _, rg := range ranges {
		b = appendHead(b, majorArray, 2)
		b = appendBytes(b, rg.Low.Bytes())
		b = appendBytes(b, rg.High.Bytes())
	}
	return b
}

func inRanges(ranges []CanisterRange, p principal.Principal) bool {
	for _, rg := range ranges {
		if p.InRange(rg.Low, rg.High) {
			return true
		}
	}
	return false
}
