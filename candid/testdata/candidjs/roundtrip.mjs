// Decodes and encodes Candid messages with @dfinity/candid for chainkey's
// round-trip test (../../candidjs_test.go). Reads one JSON document on stdin:
//
//   { "decode": [ { "types": [T...], "hex": "4449444c..." }, ... ],
//     "encode": [ { "types": [T...], "values": [V...] }, ... ] }
//
// and writes { "candid": "<version>", "decoded": [ { "values": [V...] } | { "error": "..." } ],
//              "encoded": [ { "hex": "..." } | { "error": "..." } ] }.
//
// Types T: { "k": "<primitive>" } for null bool nat int nat8..nat64 int8..int64
// float32 float64 text reserved principal; { "k": "opt" | "vec", "e": T };
// { "k": "record" | "variant", "f": [[id, T], ...] } with numeric field ids;
// { "k": "func", "a": [T...], "r": [T...], "m": ["query" | "oneway" | "composite_query"] };
// { "k": "service", "m": [[name, T], ...] }; a recursive type is
// { "k": "rec", "id": n, "t": T } where it starts and { "k": "ref", "id": n }
// where it recurs.
// Values V follow the type: null (null, reserved); true/false; integers as
// decimal strings; floats as the hex of their IEEE bits; text as a string;
// principals as text; blobs (vec nat8) as hex; opt as null or [V]; vec as an
// array; records as { "id": V }; variants as { "id": V } with one key;
// function references as [principal, method]; service references as principal text.
import { readFileSync } from 'node:fs';
import { IDL } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';

const version = JSON.parse(
  readFileSync(new URL('./node_modules/@dfinity/candid/package.json', import.meta.url), 'utf8'),
).version;

const prims = {
  null: IDL.Null, bool: IDL.Bool, nat: IDL.Nat, int: IDL.Int,
  nat8: IDL.Nat8, nat16: IDL.Nat16, nat32: IDL.Nat32, nat64: IDL.Nat64,
  int8: IDL.Int8, int16: IDL.Int16, int32: IDL.Int32, int64: IDL.Int64,
  float32: IDL.Float32, float64: IDL.Float64, text: IDL.Text,
  reserved: IDL.Reserved, principal: IDL.Principal,
};

const label = (id) => `_${id}_`;
const isBlob = (t) => t.k === 'vec' && body(t.e).k === 'nat8';

// Recursive types met so far, by id: their IDL.Rec and description.
const recs = new Map();

function idl(t) {
  if (prims[t.k]) return prims[t.k];
  switch (t.k) {
    case 'rec': {
      const r = IDL.Rec();
      recs.set(t.id, { idl: r, t: t.t });
      r.fill(idl(t.t));
      return r;
    }
    case 'ref': return recs.get(t.id).idl;
    case 'opt': return IDL.Opt(idl(t.e));
    case 'vec': return IDL.Vec(idl(t.e));
    case 'record':
    case 'variant': {
      const fs = {};
      for (const [id, ft] of t.f) fs[label(id)] = idl(ft);
      return t.k === 'record' ? IDL.Record(fs) : IDL.Variant(fs);
    }
    case 'func': return IDL.Func(t.a.map(idl), t.r.map(idl), t.m);
    case 'service': {
      const ms = {};
      for (const [name, ft] of t.m) ms[name] = idl(ft);
      return IDL.Service(ms);
    }
  }
  throw new Error(`unknown type ${JSON.stringify(t)}`);
}

const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const bytesOf = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));

// body returns the description a rec or ref stands for.
function body(t) {
  if (t.k === 'rec') return t.t;
  if (t.k === 'ref') return recs.get(t.id).t;
  return t;
}

function toJS(t, v) {
  t = body(t);
  switch (t.k) {
    case 'null': case 'reserved': return null;
    case 'bool': case 'text': return v;
    case 'nat': case 'int': case 'nat64': case 'int64': return BigInt(v);
    case 'nat8': case 'nat16': case 'nat32': case 'int8': case 'int16': case 'int32': return Number(v);
    case 'float32': {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setUint32(0, parseInt(v, 16));
      return dv.getFloat32(0);
    }
    case 'float64': {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setBigUint64(0, BigInt('0x' + v));
      return dv.getFloat64(0);
    }
    case 'principal': case 'service': return Principal.fromText(v);
    case 'func': return [Principal.fromText(v[0]), v[1]];
    case 'opt': return v === null ? [] : [toJS(t.e, v[0])];
    case 'vec': return isBlob(t) ? bytesOf(v) : v.map((x) => toJS(t.e, x));
    case 'record': {
      const o = {};
      for (const [id, ft] of t.f) o[label(id)] = toJS(ft, v[String(id)]);
      return o;
    }
    case 'variant': {
      const [id] = Object.keys(v);
      const ft = t.f.find(([fid]) => String(fid) === id)[1];
      return { [label(id)]: toJS(ft, v[id]) };
    }
  }
  throw new Error(`unknown type ${t.k}`);
}

function fromJS(t, v) {
  t = body(t);
  switch (t.k) {
    case 'null': case 'reserved': return null;
    case 'bool': case 'text': return v;
    case 'nat': case 'int': case 'nat64': case 'int64':
    case 'nat8': case 'nat16': case 'nat32': case 'int8': case 'int16': case 'int32':
      return v.toString();
    case 'float32': {
      const dv = new DataView(new ArrayBuffer(4));
      dv.setFloat32(0, v);
      return dv.getUint32(0).toString(16).padStart(8, '0');
    }
    case 'float64': {
      const dv = new DataView(new ArrayBuffer(8));
      dv.setFloat64(0, v);
      return dv.getBigUint64(0).toString(16).padStart(16, '0');
    }
    case 'principal': case 'service': return v.toText();
    case 'func': return [v[0].toText(), v[1]];
    case 'opt': return v.length === 0 ? null : [fromJS(t.e, v[0])];
    case 'vec': return isBlob(t) ? hexOf(v) : Array.from(v, (x) => fromJS(t.e, x));
    case 'record': {
      const o = {};
      for (const [id, ft] of t.f) o[String(id)] = fromJS(ft, v[label(id)]);
      return o;
    }
    case 'variant': {
      const [key] = Object.keys(v);
      const id = key.slice(1, -1);
      const ft = t.f.find(([fid]) => String(fid) === id)[1];
      return { [id]: fromJS(ft, v[key]) };
    }
  }
  throw new Error(`unknown type ${t.k}`);
}

const input = JSON.parse(readFileSync(process.argv[2] || 0, 'utf8'));
const out = { candid: version, decoded: [], encoded: [] };
for (const c of input.decode || []) {
  try {
    const vals = IDL.decode(c.types.map(idl), bytesOf(c.hex));
    out.decoded.push({ values: vals.map((v, i) => fromJS(c.types[i], v)) });
  } catch (e) {
    out.decoded.push({ error: String(e && e.message || e) });
  }
}
for (const c of input.encode || []) {
  try {
    const bytes = IDL.encode(c.types.map(idl), c.values.map((v, i) => toJS(c.types[i], v)));
    out.encoded.push({ hex: hexOf(bytes) });
  } catch (e) {
    out.encoded.push({ error: String(e && e.message || e) });
  }
}
process.stdout.write(JSON.stringify(out));
