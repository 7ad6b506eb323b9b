// verify.mjs checks Internet Computer certificates with the certificate
// verification of the unmodified @dfinity/agent package (Certificate.create,
// which verifies the BLS signature with the agent's default bls12-381
// verifier, follows the delegation, checks the canister ranges and the
// certificate's /time against the local clock).
//
// Usage: node verify.mjs [cases.json]     (reads standard input without a file
// or with "-")
//
// Input: {"cases": [case, ...]} or a bare array of cases, where a case is
//
//   {
//     "name": "root-signed",
//     "certificate": "<hex of the CBOR certificate>",
//     "rootKey": "<hex: the 133-byte DER root key, or the raw 96-byte key>",
//     "canisterId": "<principal text>",
//     "expect": "accept" | "reject",            (optional)
//     "maxAgeInMinutes": 5,                     (optional, agent default 5)
//     "lookups": [["<hex label>", ...], ...]    (optional paths to read after
//                                                 a successful verification)
//   }
//
// Output (standard output, one JSON document):
//
//   {"agent": {"name": "@dfinity/agent", "version": "..."},
//    "results": [{"name", "accepted", "expect", "match",
//                 "error": {"name", "kind", "code", "reason", "message",
//                           "cause": {... the wrapped error, same fields}},
//                 "timeNanos", "lookups": [{"status", "value"}]}, ...]}
//
// The exit status is 0 when every case ran (whatever the outcomes; "match"
// tells whether an outcome is the expected one) and 2 on unusable input.

import { readFileSync } from 'node:fs';
import {
  BLS12_381_G2_OID,
  Certificate,
  lookupResultToBuffer,
  wrapDER,
} from '@dfinity/agent';
import { PipeArrayBuffer, lebDecode } from '@dfinity/candid';
import { Principal } from '@dfinity/principal';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils';

function fail(msg) {
  process.stderr.write(`verify.mjs: ${msg}\n`);
  process.exit(2);
}

function readInput() {
  const arg = process.argv[2];
  const text = readFileSync(arg === undefined || arg === '-' ? 0 : arg, 'utf8');
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(`input is not JSON: ${e.message}`);
  }
  const cases = Array.isArray(doc) ? doc : doc?.cases;
  if (!Array.isArray(cases)) {
    fail('input must be an array of cases or {"cases": [...]}');
  }
  return cases;
}

function agentVersion() {
  const url = new URL('./node_modules/@dfinity/agent/package.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')).version;
}

function rootKeyDER(hex) {
  const key = hexToBytes(hex);
  // A raw 96-byte G2 key is wrapped the way the agent wraps keys it fetches.
  return key.length === 96 ? wrapDER(key, BLS12_381_G2_OID) : key;
}

// describeError reports an agent error: its kind, the name of its error
// code, the code's reason, and the error the code wraps (for a signature
// check: the agent's own "Invalid signature" when the pairing check failed,
// or the BLS library's error when a point did not decode).
function describeError(e, depth = 0) {
  const code = e?.cause?.code;
  const out = {
    name: e?.name ?? typeof e,
    kind: e?.cause?.kind ?? null,
    code: code?.name ?? null,
    reason: code?.reason ?? code?.ageType ?? null,
    message: String(e?.message ?? e).split('\n')[0],
  };
  if (code?.error !== undefined && depth < 3) {
    out.cause = describeError(code.error, depth + 1);
  }
  return out;
}

async function runCase(c, i) {
  const name = c.name ?? `case ${i}`;
  const out = { name, accepted: false, expect: c.expect ?? null };
  try {
    const opts = {
      certificate: hexToBytes(c.certificate),
      rootKey: rootKeyDER(c.rootKey),
      canisterId: Principal.fromText(c.canisterId),
    };
    if (c.maxAgeInMinutes !== undefined) {
      opts.maxAgeInMinutes = c.maxAgeInMinutes;
    }
    const cert = await Certificate.create(opts);
    out.accepted = true;
    const time = lookupResultToBuffer(cert.lookup_path(['time']));
    out.timeNanos = time ? lebDecode(new PipeArrayBuffer(time)).toString() : null;
    out.lookups = (c.lookups ?? []).map(path => {
      const r = cert.lookup_path(path.map(hexToBytes));
      return { status: r.status, value: r.value ? bytesToHex(r.value) : null };
    });
  } catch (e) {
    out.error = describeError(e);
  }
  if (out.expect !== null) {
    out.match = out.accepted === (out.expect === 'accept');
  }
  return out;
}

const cases = readInput();
const results = [];
for (const [i, c] of cases.entries()) {
  results.push(await runCase(c, i));
}
process.stdout.write(
  JSON.stringify({ agent: { name: '@dfinity/agent', version: agentVersion() }, results }, null, 1) + '\n',
);
