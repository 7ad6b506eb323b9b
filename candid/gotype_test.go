package candid

import (
	"fmt"
	"math/big"
	"os"
	"reflect"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

type account struct {
	Owner      principal.Principal `candid:"owner"`
	Subaccount *[]byte             `candid:"subaccount"`
}

type transferArgs struct {
	FromSubaccount *[]byte  `candid:"from_subaccount"`
	To             account  `candid:"to"`
	Amount         *big.Int `candid:"amount"`
	Fee            *big.Int `candid:"fee,opt"`
	Memo           *[]byte  `candid:"memo"`
	CreatedAtTime  *uint64  `candid:"created_at_time"`
}

type transferError struct {
	IsVariant
	BadFee *struct {
		ExpectedFee *big.Int `candid:"expected_fee"`
	} `candid:"BadFee"`
	TooOld       *Null `candid:"TooOld"`
	GenericError *struct {
		ErrorCode *big.Int `candid:"error_code"`
		Message   string   `candid:"message"`
	} `candid:"GenericError"`
}

type transferResult struct {
	IsVariant
	Ok  *big.Int       `candid:"Ok"`
	Err *transferError `candid:"Err"`
}

type list struct {
	Head int64 `candid:"head"`
	Tail *list `candid:"tail"`
}

func loadDID(t testing.TB, name string) *Description {
	t.Helper()
	src, err := os.ReadFile("testdata/did/" + name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDescription(string(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGoValuesTransfer(t *testing.T) {
	d := loadDID(t, "ICRC-1.did")
	m, err := d.Method("icrc1_transfer")
	if err != nil {
		t.Fatal(err)
	}
	ts := uint64(1_700_000_000_000_000_000)
	arg := struct {
		FromSubaccount *[]byte   `candid:"from_subaccount"`
		To             account   `candid:"to"`
		Amount         *big.Int  `candid:"amount"`
		Fee            **big.Int `candid:"fee"`
		Memo           *[]byte   `candid:"memo"`
		CreatedAtTime  *uint64   `candid:"created_at_time"`
	}{
		To:            account{Owner: principal.MustParse("ryjl3-tyaaa-aaaaa-aaaba-cai")},
		Amount:        big.NewInt(100_000),
		CreatedAtTime: &ts,
	}
	enc, err := Encode(arg)
	if err != nil {
		t.Fatal(err)
	}
	// The bytes decode at the standard's own type.
	vals, err := Unmarshal(enc, m.Args)
	if err != nil {
		t.Fatal(err)
	}
	want := `(
  record {
    to = record {
      owner = principal "ryjl3-tyaaa-aaaaa-aaaba-cai";
      subaccount = null;
    };
    fee = null;
    memo = null;
    from_subaccount = null;
    created_at_time = opt (1_700_000_000_000_000_000 : nat64);
    amount = 100_000 : nat;
  },
)`
	if got := FormatArgs(m.Args, vals); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// And back into Go: the standard's encoding of the same text.
	std, err := ParseArgs(want, m.Args)
	if err != nil {
		t.Fatal(err)
	}
	stdEnc, err := Marshal(m.Args, std)
	if err != nil {
		t.Fatal(err)
	}
	var back transferArgs
	if err := Decode(stdEnc, &back); err != nil {
		t.Fatal(err)
	}
	if back.Amount.Int64() != 100_000 || *back.CreatedAtTime != ts || back.Fee != nil || back.To.Owner != arg.To.Owner {
		t.Errorf("decoded %+v", back)
	}

	// Replies: the Go variant's type is a subtype of the standard's.
	rt, err := TypeOf(transferResult{})
	if err != nil {
		t.Fatal(err)
	}
	if !IsSubtype(rt, m.Results[0]) {
		t.Errorf("%s is not a subtype of %s", rt, m.Results[0])
	}
	reply, err := Encode(transferResult{Err: &transferError{TooOld: &Null{}}})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := Unmarshal(reply, m.Results)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatArgs(m.Results, rv); got != "(variant { Err = variant { TooOld } })" {
		t.Errorf("reply %s", got)
	}
	var res transferResult
	if err := Decode(reply, &res); err != nil || res.Err == nil || res.Err.TooOld == nil || res.Ok != nil {
		t.Errorf("decoded reply %+v %v", res, err)
	}
	if _, err := Encode(transferResult{}); err == nil {
		t.Error("variant without a tag encoded")
	}
	if _, err := Encode(transferResult{Ok: big.NewInt(1), Err: &transferError{TooOld: &Null{}}}); err == nil {
		t.Error("variant with two tags encoded")
	}
}

func TestGoValuesRecursiveAndPrimitives(t *testing.T) {
	l := list{Head: 1, Tail: &list{Head: 2, Tail: &list{Head: -3}}}
	enc, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	var back list
	if err := Decode(enc, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l, back) {
		t.Errorf("got %+v", back)
	}
	type prims struct {
		B   bool
		S   string
		I8  int8
		I16 int16
		I32 int32
		I64 int64
		U8  uint8
		U16 uint16
		U32 uint32
		U64 uint64
		F32 float32
		F64 float64
		N   *big.Int `candid:"n"`
		Z   *big.Int `candid:"z,int"`
		Blb []byte
		Arr [4]byte
		V   []string
		P   principal.Principal
		Nul Null
		Res Reserved
		Tup struct {
			A string `candid:"0"`
			B bool   `candid:"1"`
		}
		Skip int `candid:"-"`
	}
	p := prims{true, "☃", -1, -2, -3, -4, 1, 2, 3, 4, 0.5, 0.25, big.NewInt(7), big.NewInt(-7),
		[]byte{1, 2}, [4]byte{9, 8, 7, 6}, []string{"a", "b"}, principal.Management(), Null{}, Reserved{},
		struct {
			A string `candid:"0"`
			B bool   `candid:"1"`
		}{"x", true}, 0}
	enc, err = Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	var q prims
	if err := Decode(enc, &q); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Errorf("got %+v\nwant %+v", q, p)
	}
	ty, _ := TypeOf(p)
	if f, ok := ty.Field(Hash("z")); !ok || f.Type.Kind != KindInt {
		t.Errorf("z: %v", f)
	}
	if f, _ := ty.Field(Hash("Tup")); !isTupleFields(f.Type.Fields) {
		t.Errorf("Tup is %s", f.Type)
	}
	// Wrong shapes are refused.
	var wrong struct{ B string }
	if err := Decode(enc, &wrong); err == nil {
		t.Error("bool decoded into string")
	}
	if err := Decode(enc, wrong); err == nil {
		t.Error("decoded into a non-pointer")
	}
}

func TestGoValuesManagementTypes(t *testing.T) {
	d := loadDID(t, "ic.did")
	type ecdsaKeyID struct {
		Curve struct {
			IsVariant
			Secp256k1 *Null `candid:"secp256k1"`
		} `candid:"curve"`
		Name string `candid:"name"`
	}
	type signWithECDSAArgs struct {
		MessageHash    []byte     `candid:"message_hash"`
		DerivationPath [][]byte   `candid:"derivation_path"`
		KeyID          ecdsaKeyID `candid:"key_id"`
	}
	gt, err := TypeOf(signWithECDSAArgs{})
	if err != nil {
		t.Fatal(err)
	}
	spec := d.Types["sign_with_ecdsa_args"]
	if !IsSubtype(gt, spec) || !IsSubtype(spec, gt) {
		t.Errorf("Go type %s differs from %s", gt, spec)
	}
}

func TestGoValuesCached(t *testing.T) {
	c := new(TableCache)
	enc := Encoder{Cache: c}
	dec := Decoder{Cache: c}
	// A type that cannot be mapped fails and leaves the cache usable.
	type bad struct{ M map[string]int }
	if _, err := enc.Encode(bad{}); err == nil {
		t.Fatal("map encoded")
	}
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := 0; i < 200; i++ {
				l := list{Head: int64(w*1000 + i), Tail: &list{Head: 7}}
				msg, err := enc.Encode(l, transferResult{Ok: big.NewInt(int64(i))})
				if err != nil {
					done <- err
					return
				}
				var back list
				var res transferResult
				if err := dec.Decode(msg, &back, &res); err != nil {
					done <- err
					return
				}
				if !reflect.DeepEqual(l, back) || res.Ok.Int64() != int64(i) {
					done <- fmt.Errorf("worker %d: got %+v %+v", w, back, res)
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(c.goTop) != 2 {
		t.Errorf("cache holds %d Go types, want 2", len(c.goTop))
	}
}
