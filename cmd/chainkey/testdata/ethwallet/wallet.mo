// A canister that holds ETH.
//
// Its Ethereum address is that of its threshold ECDSA key (the subnet's
// dfx_test_key derived for this canister with an empty derivation path):
// the last 20 bytes of keccak256(X ‖ Y) of the public key that
// ecdsa_public_key returns, decompressed here. send() moves ETH out with a
// legacy EIP-155 transaction: the nonce, gas price and chain id come from
// the Ethereum node's JSON-RPC through HTTPS outcalls, the subnet signs the
// transaction's hash with sign_with_ecdsa, the recovery id is found here by
// recomputing the signature's nonce point, and the raw transaction goes out
// with eth_sendRawTransaction.
//
// Everything Ethereum needs is written out below with no library:
// Keccak-f[1600] over Nat64 lanes, secp256k1 field and point arithmetic
// over Nat (arbitrary precision), RLP, hex and EIP-55. The query methods
// keccak, decompress, address_of, legacy_sighash and legacy_signed expose
// the pure parts for tests.
import Prim "mo:⛔";

persistent actor EthWallet {

  // ---- The management canister's interface (the parts used here) ----

  type KeyId = { curve : { #secp256k1 }; name : Text };
  type HttpHeader = { name : Text; value : Text };
  type HttpResponse = { status : Nat; headers : [HttpHeader]; body : Blob };
  type TransformArgs = { response : HttpResponse; context : Blob };
  type HttpRequest = {
    url : Text;
    max_response_bytes : ?Nat64;
    method : { #get; #head; #post };
    headers : [HttpHeader];
    body : ?Blob;
    transform : ?{
      function : shared query TransformArgs -> async HttpResponse;
      context : Blob;
    };
  };

  transient let ic = actor ("aaaaa-aa") : actor {
    ecdsa_public_key : ({
      canister_id : ?Principal;
      derivation_path : [Blob];
      key_id : KeyId;
    }) -> async ({ public_key : Blob; chain_code : Blob });
    sign_with_ecdsa : ({
      message_hash : Blob;
      derivation_path : [Blob];
      key_id : KeyId;
    }) -> async ({ signature : Blob });
    http_request : HttpRequest -> async HttpResponse;
  };

  transient let KEY_NAME = "dfx_test_key";
  // Cycles attached to each HTTPS outcall.
  transient let OUTCALL_CYCLES = 2_000_000_000;
  transient let MAX_RESPONSE_BYTES : Nat64 = 4096;
  // A plain transfer's gas.
  transient let TRANSFER_GAS = 21_000;

  // The canister's public key (33 bytes, SEC1 compressed), fetched once.
  var publicKey : ?Blob = null;

  // ---- Bytes ----

  func n64(b : Nat8) : Nat64 = Prim.nat32ToNat64(Prim.nat16ToNat32(Prim.nat8ToNat16(b)));
  func n8(w : Nat64) : Nat8 = Prim.nat16ToNat8(Prim.nat32ToNat16(Prim.nat64ToNat32(w & 0xff)));

  func concat(parts : [[Nat8]]) : [Nat8] {
    var total = 0;
    for (p in parts.vals()) { total += p.size() };
    let out = Prim.Array_init<Nat8>(total, 0);
    var k = 0;
    for (p in parts.vals()) {
      for (b in p.vals()) { out[k] := b; k += 1 };
    };
    Prim.Array_tabulate<Nat8>(total, func(i : Nat) : Nat8 { out[i] });
  };

  func textBytes(t : Text) : [Nat8] = Prim.blobToArray(Prim.encodeUtf8(t));

  func asciiText(b : [Nat8]) : Text {
    switch (Prim.decodeUtf8(Prim.arrayToBlob(b))) {
      case (?t) t;
      case null Prim.trap("not UTF-8");
    };
  };

  // The big-endian bytes of n, with no leading zero (none for 0).
  func natBytes(n : Nat) : [Nat8] {
    var len = 0;
    var m = n;
    while (m > 0) { m /= 256; len += 1 };
    let out = Prim.Array_init<Nat8>(len, 0);
    m := n;
    var i = len;
    while (i > 0) { i -= 1; out[i] := Prim.natToNat8(m % 256); m /= 256 };
    Prim.Array_tabulate<Nat8>(len, func(i : Nat) : Nat8 { out[i] });
  };

  // n as exactly size big-endian bytes (n < 256^size).
  func natBytesFixed(n : Nat, size : Nat) : [Nat8] {
    let out = Prim.Array_init<Nat8>(size, 0);
    var m = n;
    var i = size;
    while (i > 0) { i -= 1; out[i] := Prim.natToNat8(m % 256); m /= 256 };
    Prim.Array_tabulate<Nat8>(size, func(i : Nat) : Nat8 { out[i] });
  };

  func beNat(b : [Nat8], from : Nat, len : Nat) : Nat {
    var n = 0;
    var i = from;
    while (i < from + len) { n := n * 256 + Prim.nat8ToNat(b[i]); i += 1 };
    n;
  };

  func slice(b : [Nat8], from : Nat, len : Nat) : [Nat8] = Prim.Array_tabulate<Nat8>(len, func(i : Nat) : Nat8 { b[from + i] });

  transient let HEX : [Nat8] = textBytes("0123456789abcdef");

  func hexAscii(b : [Nat8]) : [Nat8] {
    Prim.Array_tabulate<Nat8>(
      2 * b.size(),
      func(i : Nat) : Nat8 {
        let v = b[i / 2];
        HEX[Prim.nat8ToNat(if (i % 2 == 0) v >> 4 else v & 15)];
      },
    );
  };

  func hex0x(b : [Nat8]) : Text = "0x" # asciiText(hexAscii(b));

  func hexDigit(c : Nat8) : ?Nat8 {
    if (c >= 0x30 and c <= 0x39) return ?(c - 0x30);
    if (c >= 0x61 and c <= 0x66) return ?(c - 0x61 + 10);
    if (c >= 0x41 and c <= 0x46) return ?(c - 0x41 + 10);
    null;
  };

  // Decodes 0x-prefixed hex of an even number of digits.
  func unhex(t : Text) : ?[Nat8] {
    let a = textBytes(t);
    if (a.size() < 2 or a[0] != 0x30 or (a[1] != 0x78 and a[1] != 0x58) or a.size() % 2 != 0) return null;
    let out = Prim.Array_init<Nat8>((a.size() - 2) / 2, 0);
    var i = 2;
    while (i < a.size()) {
      switch (hexDigit(a[i]), hexDigit(a[i + 1])) {
        case (?hi, ?lo) { out[(i - 2) / 2] := hi * 16 + lo };
        case _ { return null };
      };
      i += 2;
    };
    ?Prim.Array_tabulate<Nat8>(out.size(), func(i : Nat) : Nat8 { out[i] });
  };

  // Decodes a JSON-RPC quantity: 0x followed by hex digits.
  func hexNat(t : Text) : ?Nat {
    let a = textBytes(t);
    if (a.size() < 3 or a[0] != 0x30 or a[1] != 0x78) return null;
    var n = 0;
    var i = 2;
    while (i < a.size()) {
      switch (hexDigit(a[i])) {
        case (?d) { n := n * 16 + Prim.nat8ToNat(d) };
        case null { return null };
      };
      i += 1;
    };
    ?n;
  };

  // ---- Keccak-256 (the original Keccak padding, as Ethereum uses) ----

  transient let RC : [Nat64] = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
  ];
  // The rotation of each lane visited by the rho–pi walk, and the walk.
  transient let ROT : [Nat64] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44];
  transient let PI : [Nat] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1];

  func keccakF(st : [var Nat64]) {
    let c = Prim.Array_init<Nat64>(5, 0);
    var round = 0;
    while (round < 24) {
      // θ
      var x = 0;
      while (x < 5) {
        c[x] := st[x] ^ st[x + 5] ^ st[x + 10] ^ st[x + 15] ^ st[x + 20];
        x += 1;
      };
      x := 0;
      while (x < 5) {
        let d = c[(x + 4) % 5] ^ (c[(x + 1) % 5] <<> 1);
        var y = 0;
        while (y < 25) { st[y + x] ^= d; y += 5 };
        x += 1;
      };
      // ρ and π
      var t = st[1];
      var i = 0;
      while (i < 24) {
        let j = PI[i];
        let b = st[j];
        st[j] := t <<> ROT[i];
        t := b;
        i += 1;
      };
      // χ
      var y = 0;
      while (y < 25) {
        x := 0;
        while (x < 5) { c[x] := st[y + x]; x += 1 };
        x := 0;
        while (x < 5) {
          st[y + x] ^= (^ c[(x + 1) % 5]) & c[(x + 2) % 5];
          x += 1;
        };
        y += 5;
      };
      // ι
      st[0] ^= RC[round];
      round += 1;
    };
  };

  func keccak256(data : [Nat8]) : [Nat8] {
    let rate = 136;
    let n = data.size();
    let size = (n / rate + 1) * rate;
    let padded = Prim.Array_init<Nat8>(size, 0);
    var i = 0;
    while (i < n) { padded[i] := data[i]; i += 1 };
    padded[n] ^= 0x01;
    padded[size - 1] ^= 0x80;
    let st = Prim.Array_init<Nat64>(25, 0);
    var off = 0;
    while (off < size) {
      var l = 0;
      while (l < 17) {
        var w : Nat64 = 0;
        var k = 8;
        while (k > 0) {
          k -= 1;
          w := (w << 8) | n64(padded[off + 8 * l + k]);
        };
        st[l] ^= w;
        l += 1;
      };
      keccakF(st);
      off += rate;
    };
    Prim.Array_tabulate<Nat8>(32, func(i : Nat) : Nat8 { n8(st[i / 8] >> (8 * Prim.natToNat64(i % 8))) });
  };

  // ---- secp256k1 ----

  transient let P : Nat = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f;
  transient let N : Nat = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
  transient let GX : Nat = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798;
  transient let GY : Nat = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8;

  func modPow(b : Nat, e : Nat, m : Nat) : Nat {
    var r = 1;
    var base = b % m;
    var ex = e;
    while (ex > 0) {
      if (ex % 2 == 1) { r := r * base % m };
      base := base * base % m;
      ex /= 2;
    };
    r;
  };

  // Field addition, subtraction and doubling of reduced elements.
  func fsub(a : Nat, b : Nat) : Nat = if (a >= b) a - b else a + P - b;
  func fadd(a : Nat, b : Nat) : Nat { let t = a + b; if (t >= P) t - P else t };
  func fdbl(a : Nat) : Nat = fadd(a, a);

  // x mod p for x < p², by p = 2^256 - C: x = h·2^256 + l ≡ h·C + l,
  // twice, then one subtraction (shifts cost far less than a division).
  transient let C : Nat = 0x1000003d1;
  func fred(x : Nat) : Nat {
    let h = Prim.shiftRight(x, 256);
    var t = h * C + (x - Prim.shiftLeft(h, 256));
    let h2 = Prim.shiftRight(t, 256);
    t := h2 * C + (t - Prim.shiftLeft(h2, 256));
    if (t >= P) t - P else t;
  };
  func fmul(a : Nat, b : Nat) : Nat = fred(a * b);

  func fpow(b : Nat, e : Nat) : Nat {
    var r = 1;
    var base = b;
    var ex = e;
    while (ex > 0) {
      if (ex % 2 == 1) { r := fmul(r, base) };
      base := fmul(base, base);
      ex /= 2;
    };
    r;
  };

  // The affine point of a 33-byte SEC1 compressed key: y is the square
  // root (x³ + 7)^((p + 1) / 4) of the parity the prefix gives.
  func decompressKey(pub : [Nat8]) : ?(Nat, Nat) {
    if (pub.size() != 33 or (pub[0] != 2 and pub[0] != 3)) return null;
    let x = beNat(pub, 1, 32);
    if (x >= P) return null;
    let y2 = (fmul(fmul(x, x), x) + 7) % P;
    let y = fpow(y2, (P + 1) / 4);
    if (fmul(y, y) != y2) return null;
    let odd = pub[0] == 3;
    ?(x, if ((y % 2 == 1) == odd) y else (P - y) % P);
  };

  // Jacobian coordinates (X, Y, Z) of (X/Z², Y/Z³); Z = 0 is infinity.
  type J = (Nat, Nat, Nat);
  transient let INF : J = (0, 1, 0);

  func jDouble(p : J) : J {
    let (x1, y1, z1) = p;
    if (z1 == 0 or y1 == 0) return INF;
    let a = fmul(x1, x1);
    let b = fmul(y1, y1);
    let c = fmul(b, b);
    let xb = fadd(x1, b);
    let d = fdbl(fsub(fsub(fmul(xb, xb), a), c));
    let e = fadd(fdbl(a), a);
    let x3 = fsub(fmul(e, e), fdbl(d));
    let y3 = fsub(fmul(e, fsub(d, x3)), fdbl(fdbl(fdbl(c))));
    (x3, y3, fdbl(fmul(y1, z1)));
  };

  // p + (x2, y2) for an affine (x2, y2).
  func jAddAffine(p : J, x2 : Nat, y2 : Nat) : J {
    let (x1, y1, z1) = p;
    if (z1 == 0) return (x2, y2, 1);
    let zz = fmul(z1, z1);
    let h = fsub(fmul(x2, zz), x1);
    let r = fsub(fmul(fmul(y2, z1), zz), y1);
    if (h == 0) { return if (r == 0) jDouble(p) else INF };
    let hh = fmul(h, h);
    let hhh = fmul(h, hh);
    let v = fmul(x1, hh);
    let x3 = fsub(fsub(fmul(r, r), hhh), fdbl(v));
    let y3 = fsub(fmul(r, fsub(v, x3)), fmul(y1, hhh));
    (x3, y3, fmul(z1, h));
  };

  func toAffine(p : J) : ?(Nat, Nat) {
    let (x, y, z) = p;
    if (z == 0) return null;
    let zi = fpow(z, P - 2);
    let zi2 = fmul(zi, zi);
    ?(fmul(x, zi2), fmul(fmul(y, zi2), zi));
  };

  func bits256(n : Nat) : [var Bool] {
    let out = Prim.Array_init<Bool>(256, false);
    var m = n;
    var i = 0;
    while (i < 256) { out[i] := m % 2 == 1; m /= 2; i += 1 };
    out;
  };

  // The recovery id of the signature (r, s) of the 32-byte hash z under
  // the public key (qx, qy): the verification equation gives the
  // signature's nonce point R = (z/s)·G + (r/s)·Q; the id is R.y's parity,
  // plus 2 when R.x ≥ n. null when (r, s) is not a valid signature.
  func recoveryId(z : Nat, r : Nat, s : Nat, qx : Nat, qy : Nat) : ?Nat {
    if (r == 0 or r >= N or s == 0 or s >= N) return null;
    let w = modPow(s, N - 2, N);
    let u1 = bits256(z % N * w % N);
    let u2 = bits256(r * w % N);
    let gq = toAffine(jAddAffine((GX, GY, 1), qx, qy));
    var acc = INF;
    var i = 256;
    while (i > 0) {
      i -= 1;
      acc := jDouble(acc);
      switch (u1[i], u2[i], gq) {
        case (true, true, ?(x, y)) { acc := jAddAffine(acc, x, y) };
        case (true, true, null) {};
        case (true, false, _) { acc := jAddAffine(acc, GX, GY) };
        case (false, true, _) { acc := jAddAffine(acc, qx, qy) };
        case (false, false, _) {};
      };
    };
    switch (toAffine(acc)) {
      case (?(x, y)) {
        if (x == r) ?(y % 2) else if (x == r + N) ?(2 + y % 2) else null;
      };
      case null null;
    };
  };

  // ---- Ethereum ----

  func addressBytes(pub : [Nat8]) : ?[Nat8] {
    switch (decompressKey(pub)) {
      case (?(x, y)) {
        let h = keccak256(concat([natBytesFixed(x, 32), natBytesFixed(y, 32)]));
        ?slice(h, 12, 20);
      };
      case null null;
    };
  };

  // EIP-55: a hex letter is upper case where the keccak256 of the lower
  // case hex address has a nibble of 8 or more.
  func eip55(addr : [Nat8]) : Text {
    let lower = hexAscii(addr);
    let h = keccak256(lower);
    let mixed = Prim.Array_tabulate<Nat8>(
      lower.size(),
      func(i : Nat) : Nat8 {
        let nib = if (i % 2 == 0) h[i / 2] >> 4 else h[i / 2] & 15;
        if (lower[i] >= 0x61 and nib >= 8) lower[i] - 32 else lower[i];
      },
    );
    "0x" # asciiText(mixed);
  };

  func rlpHeader(base : Nat, len : Nat) : [Nat8] {
    if (len <= 55) return [Prim.natToNat8(base + len)];
    let l = natBytes(len);
    concat([[Prim.natToNat8(base + 55 + l.size())], l]);
  };

  func rlpBytes(b : [Nat8]) : [Nat8] {
    if (b.size() == 1 and b[0] < 0x80) return b;
    concat([rlpHeader(0x80, b.size()), b]);
  };

  func rlpNat(n : Nat) : [Nat8] = rlpBytes(natBytes(n));

  func rlpList(items : [[Nat8]]) : [Nat8] {
    let body = concat(items);
    concat([rlpHeader(0xc0, body.size()), body]);
  };

  // A legacy transaction; to is empty for a contract creation.
  type LegacyTx = {
    nonce : Nat;
    gas_price : Nat;
    gas_limit : Nat;
    to : Blob;
    value : Nat;
    data : Blob;
    chain_id : Nat;
  };

  // EIP-155: the hash signed is keccak256(rlp([nonce, gasPrice, gasLimit,
  // to, value, data, chainId, 0, 0])).
  func legacySighash(tx : LegacyTx) : [Nat8] {
    keccak256(
      rlpList([
        rlpNat(tx.nonce),
        rlpNat(tx.gas_price),
        rlpNat(tx.gas_limit),
        rlpBytes(Prim.blobToArray(tx.to)),
        rlpNat(tx.value),
        rlpBytes(Prim.blobToArray(tx.data)),
        rlpNat(tx.chain_id),
        rlpNat(0),
        rlpNat(0),
      ])
    );
  };

  // The signed transaction rlp([.., v, r, s]) with v = chainId·2 + 35 +
  // recovery id, for the 64-byte signature r ‖ s by the key pub.
  func legacySigned(tx : LegacyTx, sig : [Nat8], pub : [Nat8]) : { #ok : [Nat8]; #err : Text } {
    if (sig.size() != 64) return #err("a signature of 64 bytes expected");
    let (qx, qy) = switch (decompressKey(pub)) {
      case (?q) q;
      case null return #err("not a compressed secp256k1 public key");
    };
    let r = beNat(sig, 0, 32);
    let s = beNat(sig, 32, 32);
    let z = beNat(legacySighash(tx), 0, 32);
    let recid = switch (recoveryId(z, r, s, qx, qy)) {
      case (?v) v;
      case null return #err("the signature does not verify under the public key");
    };
    #ok(
      rlpList([
        rlpNat(tx.nonce),
        rlpNat(tx.gas_price),
        rlpNat(tx.gas_limit),
        rlpBytes(Prim.blobToArray(tx.to)),
        rlpNat(tx.value),
        rlpBytes(Prim.blobToArray(tx.data)),
        rlpNat(tx.chain_id * 2 + 35 + recid),
        rlpNat(r),
        rlpNat(s),
      ])
    );
  };

  // ---- Pure methods (for tests) ----

  public query func keccak(b : Blob) : async Blob {
    Prim.arrayToBlob(keccak256(Prim.blobToArray(b)));
  };

  // X ‖ Y of a compressed key.
  public query func decompress(pub : Blob) : async Blob {
    switch (decompressKey(Prim.blobToArray(pub))) {
      case (?(x, y)) Prim.arrayToBlob(concat([natBytesFixed(x, 32), natBytesFixed(y, 32)]));
      case null Prim.trap("not a compressed secp256k1 public key");
    };
  };

  // The EIP-55 address of a compressed key.
  public query func address_of(pub : Blob) : async Text {
    switch (addressBytes(Prim.blobToArray(pub))) {
      case (?a) eip55(a);
      case null Prim.trap("not a compressed secp256k1 public key");
    };
  };

  public query func legacy_sighash(tx : LegacyTx) : async Blob {
    Prim.arrayToBlob(legacySighash(tx));
  };

  public query func legacy_signed(tx : LegacyTx, sig : Blob, pub : Blob) : async Blob {
    switch (legacySigned(tx, Prim.blobToArray(sig), Prim.blobToArray(pub))) {
      case (#ok(raw)) Prim.arrayToBlob(raw);
      case (#err(e)) Prim.trap(e);
    };
  };

  // ---- JSON-RPC through HTTPS outcalls ----

  func indexOf(hay : [Nat8], needle : [Nat8], from : Nat) : ?Nat {
    if (needle.size() > hay.size()) return null;
    var i = from;
    while (i + needle.size() <= hay.size()) {
      var j = 0;
      while (j < needle.size() and hay[i + j] == needle[j]) { j += 1 };
      if (j == needle.size()) return ?i;
      i += 1;
    };
    null;
  };

  func contains(hay : [Nat8], needle : Text) : Bool = indexOf(hay, textBytes(needle), 0) != null;

  // The string value of "key":"..." in a JSON text (no escapes: hex
  // quantities and geth's error messages).
  func jsonString(b : [Nat8], key : Text) : ?Text {
    let start = switch (indexOf(b, textBytes("\"" # key # "\":\""), 0)) {
      case (?i) i + key.size() + 4;
      case null return null;
    };
    switch (indexOf(b, [0x22], start)) {
      case (?end) Prim.decodeUtf8(Prim.arrayToBlob(slice(b, start, end - start)));
      case null null;
    };
  };

  // The transform every node applies to its response before the nodes
  // agree on it: the status and body only. For eth_sendRawTransaction
  // (context "send") the outcome only: each node sends the transaction,
  // and geth answers the first with the hash and the others with
  // "already known" or, once mined, "nonce too low"; all of these say the
  // transaction reached the node, which send() then checks with
  // eth_getTransactionByHash (context "known": whether the node knows it).
  public query func transform(a : TransformArgs) : async HttpResponse {
    let b = Prim.blobToArray(a.response.body);
    let body : Blob = if (a.context == ("send" : Blob)) {
      if (contains(b, "\"result\"") or contains(b, "already known") or contains(b, "nonce too low")) "{\"result\":\"sent\"}" else a.response.body;
    } else if (a.context == ("known" : Blob)) {
      if (contains(b, "\"result\":{")) "{\"result\":\"known\"}" else "{\"result\":\"unknown\"}";
    } else a.response.body;
    { status = a.response.status; headers = []; body };
  };

  // The outcall of a JSON-RPC call of method with params (a JSON array)
  // to url, transformed under context.
  func rpcRequest(url : Text, method : Text, params : Text, context : Text) : HttpRequest {
    let body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" # method # "\",\"params\":" # params # "}";
    {
      url;
      max_response_bytes = ?MAX_RESPONSE_BYTES;
      method = #post;
      headers = [{ name = "Content-Type"; value = "application/json" }];
      body = ?Prim.encodeUtf8(body);
      transform = ?{ function = transform; context = Prim.encodeUtf8(context) };
    };
  };

  // The result string of a JSON-RPC answer, or the node's error message.
  func answer(method : Text, res : HttpResponse) : { #ok : Text; #err : Text } {
    let b = Prim.blobToArray(res.body);
    if (res.status != 200) return #err(method # ": HTTP status " # debug_show (res.status));
    switch (jsonString(b, "result")) {
      case (?v) #ok(v);
      case null {
        switch (jsonString(b, "message")) {
          case (?m) #err(method # ": " # m);
          case null #err(method # ": unexpected answer");
        };
      };
    };
  };

  func rpc(url : Text, method : Text, params : Text, context : Text) : async* { #ok : Text; #err : Text } {
    try {
      answer(method, await (with cycles = OUTCALL_CYCLES) ic.http_request(rpcRequest(url, method, params, context)));
    } catch (e) {
      #err(method # ": " # Prim.errorMessage(e));
    };
  };

  func quantity(method : Text, r : { #ok : Text; #err : Text }) : { #ok : Nat; #err : Text } {
    switch (r) {
      case (#ok(v)) {
        switch (hexNat(v)) {
          case (?n) #ok(n);
          case null #err(method # ": not a quantity: " # v);
        };
      };
      case (#err(e)) #err(e);
    };
  };

  func rpcNat(url : Text, method : Text, params : Text) : async* { #ok : Nat; #err : Text } {
    quantity(method, await* rpc(url, method, params, ""));
  };

  // ---- The wallet ----

  func keyId() : KeyId = { curve = #secp256k1; name = KEY_NAME };

  func ownKey() : async* { #ok : [Nat8]; #err : Text } {
    switch (publicKey) {
      case (?k) return #ok(Prim.blobToArray(k));
      case null {};
    };
    try {
      let r = await ic.ecdsa_public_key({ canister_id = null; derivation_path = []; key_id = keyId() });
      publicKey := ?r.public_key;
      #ok(Prim.blobToArray(r.public_key));
    } catch (e) {
      #err("ecdsa_public_key: " # Prim.errorMessage(e));
    };
  };

  // The canister's Ethereum address (EIP-55).
  public func address() : async Text {
    switch (await* ownAddress()) {
      case (#ok(a)) eip55(a);
      case (#err(e)) Prim.trap(e);
    };
  };

  // The canister's balance in wei at the latest block, from the
  // Ethereum node at rpc.
  public func balance(rpc : Text) : async { #ok : Nat; #err : Text } {
    let from = switch (await* ownAddress()) {
      case (#ok(f)) f;
      case (#err(e)) return #err(e);
    };
    await* rpcNat(rpc, "eth_getBalance", "[\"" # hex0x(from) # "\",\"latest\"]");
  };

  func ownAddress() : async* { #ok : [Nat8]; #err : Text } {
    switch (await* ownKey()) {
      case (#ok(k)) {
        switch (addressBytes(k)) {
          case (?a) #ok(a);
          case null #err("ecdsa_public_key returned no secp256k1 key");
        };
      };
      case (#err(e)) #err(e);
    };
  };

  transient var sending = false;
  // The block times (ns) of the last send's steps: start, the three
  // reads answered, signed, sent, checked.
  transient let stamps = Prim.Array_init<Nat64>(5, 0);

  // The last send's steps in milliseconds: the reads (one round of
  // outcalls), sign_with_ecdsa, eth_sendRawTransaction and the check.
  public query func last_send_ms() : async [Nat64] {
    Prim.Array_tabulate<Nat64>(4, func(i : Nat) : Nat64 { if (stamps[i + 1] >= stamps[i]) (stamps[i + 1] - stamps[i]) / 1_000_000 else 0 });
  };

  // Sends value wei to the address to through the Ethereum node at rpc
  // and returns the transaction's hash. One send at a time: the nonce is
  // the node's pending transaction count.
  public func send(a : { to : Text; value : Nat; rpc : Text }) : async { #ok : Text; #err : Text } {
    if (sending) return #err("another send is in progress");
    sending := true;
    try { await* sendOnce(a) } finally { sending := false };
  };

  func sendOnce(a : { to : Text; value : Nat; rpc : Text }) : async* { #ok : Text; #err : Text } {
    let to = switch (unhex(a.to)) {
      case (?b) { if (b.size() != 20) return #err("to: not an address"); b };
      case null return #err("to: not an address");
    };
    let pub = switch (await* ownKey()) {
      case (#ok(k)) k;
      case (#err(e)) return #err(e);
    };
    let from = switch (addressBytes(pub)) {
      case (?f) f;
      case null return #err("ecdsa_public_key returned no secp256k1 key");
    };
    stamps[0] := Prim.time();
    // The three reads go out together: one round of outcalls.
    let count = "eth_getTransactionCount";
    let chainCall = (with cycles = OUTCALL_CYCLES) ic.http_request(rpcRequest(a.rpc, "eth_chainId", "[]", ""));
    let nonceCall = (with cycles = OUTCALL_CYCLES) ic.http_request(rpcRequest(a.rpc, count, "[\"" # hex0x(from) # "\",\"pending\"]", ""));
    let priceCall = (with cycles = OUTCALL_CYCLES) ic.http_request(rpcRequest(a.rpc, "eth_gasPrice", "[]", ""));
    let (chain, nonceRes, price) = try { (await chainCall, await nonceCall, await priceCall) } catch (e) {
      return #err("eth_chainId, " # count # ", eth_gasPrice: " # Prim.errorMessage(e));
    };
    let chainId = switch (quantity("eth_chainId", answer("eth_chainId", chain))) {
      case (#ok(n)) n;
      case (#err(e)) return #err(e);
    };
    let nonce = switch (quantity(count, answer(count, nonceRes))) {
      case (#ok(n)) n;
      case (#err(e)) return #err(e);
    };
    let gasPrice = switch (quantity("eth_gasPrice", answer("eth_gasPrice", price))) {
      case (#ok(n)) n;
      case (#err(e)) return #err(e);
    };
    stamps[1] := Prim.time();
    let tx : LegacyTx = {
      nonce;
      gas_price = gasPrice;
      gas_limit = TRANSFER_GAS;
      to = Prim.arrayToBlob(to);
      value = a.value;
      data = "";
      chain_id = chainId;
    };
    let sig = try {
      (await ic.sign_with_ecdsa({ message_hash = Prim.arrayToBlob(legacySighash(tx)); derivation_path = []; key_id = keyId() })).signature;
    } catch (e) {
      return #err("sign_with_ecdsa: " # Prim.errorMessage(e));
    };
    stamps[2] := Prim.time();
    let raw = switch (legacySigned(tx, Prim.blobToArray(sig), pub)) {
      case (#ok(r)) r;
      case (#err(e)) return #err("sign_with_ecdsa: " # e);
    };
    let hash = hex0x(keccak256(raw));
    switch (await* rpc(a.rpc, "eth_sendRawTransaction", "[\"" # hex0x(raw) # "\"]", "send")) {
      case (#ok(_)) {};
      case (#err(e)) return #err(e);
    };
    stamps[3] := Prim.time();
    let known = await* rpc(a.rpc, "eth_getTransactionByHash", "[\"" # hash # "\"]", "known");
    stamps[4] := Prim.time();
    switch (known) {
      case (#ok("known")) #ok(hash);
      case (#ok(_)) #err("eth_sendRawTransaction: the node does not know the transaction " # hash);
      case (#err(e)) #err(e);
    };
  };
}
