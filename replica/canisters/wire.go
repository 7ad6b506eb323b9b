package canisters

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// ComponentID is the canister component's id in block transactions.
func ComponentID() subnet.ComponentID { return subnet.ComponentID{'c', 'a', 'n', 'i', 's', 1} }

// Message kinds: an ingress update call, and the controller operations.
const (
	KindCall      = 1 // update call of Method on Canister
	KindCreate    = 2 // create a canister (Sender and Controllers control it)
	KindInstall   = 3 // install Wasm on an empty canister, run canister_init(Arg)
	KindReinstall = 4 // replace the module and clear all memory
	KindUpgrade   = 5 // upgrade, keeping stable memory (and main memory with KeepMemory)
	KindUninstall = 6
	KindStop      = 7
	KindStart     = 8
	KindDelete    = 9 // delete a stopped canister
)

// Limits of canister messages in blocks.
const (
	// MaxMessageBytes bounds one encoded message (a module included).
	MaxMessageBytes = 4 << 20
	// MaxBatchMessages bounds the messages of one block.
	MaxBatchMessages = 5000
	// MaxIngressExpiry is how far in the future an ingress message may
	// expire, as on the Internet Computer.
	MaxIngressExpiry = 5 * 60 * 1_000_000_000
)

// Message is a canister message as blocks carry it: an ingress update call
// or a controller operation, from an authenticated sender (the shell
// authenticates the request before it fills a Message).
type Message struct {
	Kind        uint8    `cbor:"1,keyasint"`
	Sender      []byte   `cbor:"2,keyasint"`
	Canister    []byte   `cbor:"3,keyasint,omitempty"`
	Method      string   `cbor:"4,keyasint,omitempty"`
	Arg         []byte   `cbor:"5,keyasint,omitempty"`
	Nonce       []byte   `cbor:"6,keyasint,omitempty"`
	Expiry      uint64   `cbor:"7,keyasint"`
	Wasm        []byte   `cbor:"8,keyasint,omitempty"`
	Controllers [][]byte `cbor:"9,keyasint,omitempty"`
	Cycles      uint64   `cbor:"10,keyasint,omitempty"`
	KeepMemory  bool     `cbor:"11,keyasint,omitempty"`
	// SenderPubKey and SenderSig authenticate a sender other than the
	// anonymous principal: the DER public key whose self-authenticating
	// principal Sender is, and its signature of "\x0Aic-request" ‖ ID(),
	// as an IC request envelope carries them.
	SenderPubKey []byte `cbor:"12,keyasint,omitempty"`
	SenderSig    []byte `cbor:"13,keyasint,omitempty"`
	// Delegations is the envelope's sender_delegation chain, if any: the
	// sender's key delegates, link by link, to the key that signed.
	Delegations []Delegation `cbor:"14,keyasint,omitempty"`
}

// Sign sets the message's sender to key's principal and signs it.
func (m *Message) Sign(key ingress.Signer) error {
	m.Sender = ingress.Sender(key).Bytes()
	m.SenderPubKey, m.SenderSig = key.PublicKeyDER(), nil
	sig, err := ingress.SignRequestID(key, m.ID())
	if err != nil {
		return fmt.Errorf("canisters: sign message: %w", err)
	}
	m.SenderSig = sig
	return nil
}

var kindNames = map[uint8]string{KindCreate: "create_canister", KindInstall: "install_code", KindReinstall: "reinstall_code",
	KindUpgrade: "upgrade_code", KindUninstall: "uninstall_code", KindStop: "stop_canister", KindStart: "start_canister",
	KindDelete: "delete_canister"}

// Validate checks a message's shape and its sender's signature (not its
// authorization, which the round checks against the state). A message of
// the anonymous principal carries no signature.
func (m *Message) Validate() error {
	if err := m.validateShape(); err != nil {
		return err
	}
	sender, _ := principal.FromBytes(m.Sender)
	if sender == principal.Anonymous() {
		if m.SenderPubKey != nil || m.SenderSig != nil {
			return errors.New("canisters: anonymous message with a signature")
		}
		return nil
	}
	if len(m.Delegations) > 0 {
		return m.verifyDelegated(sender)
	}
	if err := ingress.VerifySender(sender, m.SenderPubKey, m.ID(), m.SenderSig); err != nil {
		return fmt.Errorf("canisters: message of %s: %w", sender, err)
	}
	return nil
}

func (m *Message) validateShape() error {
	if m.Kind < KindCall || m.Kind > KindDelete {
		return fmt.Errorf("canisters: message kind %d", m.Kind)
	}
	if _, err := principal.FromBytes(m.Sender); err != nil {
		return fmt.Errorf("canisters: sender: %w", err)
	}
	if m.Kind != KindCreate {
		// An update call may name the management canister (empty id).
		if _, err := principal.FromBytes(m.Canister); err != nil || len(m.Canister) == 0 && m.Kind != KindCall {
			return fmt.Errorf("canisters: canister id: %v", err)
		}
	} else if len(m.Canister) != 0 {
		return errors.New("canisters: create with a canister id")
	}
	for _, c := range m.Controllers {
		if _, err := principal.FromBytes(c); err != nil {
			return fmt.Errorf("canisters: controller: %w", err)
		}
	}
	if len(m.Controllers) > 10 {
		return errors.New("canisters: more than 10 controllers")
	}
	if len(m.Nonce) > ingress.MaxNonceSize {
		return errors.New("canisters: nonce too long")
	}
	if (m.Kind == KindCall) != (m.Method != "") {
		return errors.New("canisters: a call and only a call names a method")
	}
	if len(m.Wasm) > 0 && m.Kind != KindInstall && m.Kind != KindReinstall && m.Kind != KindUpgrade {
		return errors.New("canisters: a module with a message that installs none")
	}
	return nil
}

// ID returns the message id. For an update call it is the IC request id
// of the call's content (request_type "call", canister_id, method_name,
// arg, sender, ingress_expiry, nonce); a controller operation gets the
// request id of a call to the management canister whose method is the
// operation's name and whose arg is the message's encoding.
func (m *Message) ID() [32]byte {
	content := map[string]any{"request_type": "call", "sender": m.Sender, "ingress_expiry": m.Expiry}
	if len(m.Nonce) > 0 {
		content["nonce"] = m.Nonce
	}
	if m.Kind == KindCall {
		content["canister_id"], content["method_name"] = m.Canister, m.Method
		content["arg"] = nonNil(m.Arg)
	} else {
		c := *m
		c.SenderPubKey, c.SenderSig = nil, nil
		enc, _ := subnet.Marshal(&c)
		content["canister_id"], content["method_name"], content["arg"] = []byte{}, kindNames[m.Kind], enc
	}
	id, err := ingress.HashOfMap(content)
	if err != nil {
		panic(err) // every value above is of a supported type
	}
	return id
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Transaction forms after the component prefix.
const (
	formMessage = 1 // one message: a mempool transaction
	formBatch   = 2 // the block's messages
)

func header() []byte {
	id := ComponentID()
	return append([]byte{subnet.ComponentTxPrefix}, id[:]...)
}

// EncodeMessageTx encodes one message as a mempool transaction.
func EncodeMessageTx(m *Message) ([]byte, error) {
	enc, err := subnet.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("canisters: encode message: %w", err)
	}
	return append(append(header(), formMessage), enc...), nil
}

// EncodeBatch encodes a block's messages as its canister transaction.
func EncodeBatch(msgs []*Message) ([]byte, error) {
	enc, err := subnet.Marshal(msgs)
	if err != nil {
		return nil, fmt.Errorf("canisters: encode batch: %w", err)
	}
	return append(append(header(), formBatch), enc...), nil
}

func body(tx []byte, form byte) ([]byte, error) {
	h := header()
	if len(tx) < len(h)+1 || string(tx[:len(h)]) != string(h) {
		return nil, errors.New("canisters: not a canister transaction")
	}
	if tx[len(h)] != form {
		return nil, fmt.Errorf("canisters: transaction form %d, want %d", tx[len(h)], form)
	}
	return tx[len(h)+1:], nil
}

// IsMessageTx reports whether tx is a mempool transaction of one message.
func IsMessageTx(tx []byte) bool {
	_, err := body(tx, formMessage)
	return err == nil
}

// DecodeMessageTx decodes and validates a mempool transaction.
func DecodeMessageTx(tx []byte) (*Message, error) {
	m, err := DecodeMessageTxShape(tx)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeMessageTxShape decodes a mempool transaction and checks its shape
// but not the sender's signature: for the mempool's check, whose
// Component.Admit verifies the signature once per node (and again only if
// the message's encoding changes).
func DecodeMessageTxShape(tx []byte) (*Message, error) {
	b, err := body(tx, formMessage)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxMessageBytes {
		return nil, errors.New("canisters: message too large")
	}
	m := &Message{}
	if err := subnet.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("canisters: decode message: %w", err)
	}
	if err := m.validateShape(); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeBatch decodes and validates a block's canister transaction: every
// message valid, no message id twice.
func DecodeBatch(tx []byte) ([]*Message, error) {
	return decodeBatch(tx, func(*Message) bool { return false })
}

// decodeBatch is DecodeBatch; it skips the signature check of the
// messages for which known returns true (verified before).
func decodeBatch(tx []byte, known func(*Message) bool) ([]*Message, error) {
	b, err := body(tx, formBatch)
	if err != nil {
		return nil, err
	}
	var msgs []*Message
	if err := subnet.Unmarshal(b, &msgs); err != nil {
		return nil, fmt.Errorf("canisters: decode batch: %w", err)
	}
	if len(msgs) == 0 || len(msgs) > MaxBatchMessages {
		return nil, fmt.Errorf("canisters: batch of %d messages", len(msgs))
	}
	seen := make(map[[32]byte]bool, len(msgs))
	for i, m := range msgs {
		if m == nil {
			return nil, fmt.Errorf("canisters: batch message %d is null", i)
		}
		check := m.Validate
		if known(m) {
			check = m.validateShape
		}
		if err := check(); err != nil {
			return nil, fmt.Errorf("canisters: batch message %d: %w", i, err)
		}
		id := m.ID()
		if seen[id] {
			return nil, fmt.Errorf("canisters: batch message %d given twice", i)
		}
		seen[id] = true
	}
	return msgs, nil
}
