// vetkeys.mjs answers vetKD questions with the unmodified @dfinity/vetkeys
// client library, one JSON request per line on standard input, one JSON
// reply per line on standard output, so that a test can make a transport key
// here, have its own code encrypt a key for it, and come back to decrypt it
// in the same process.
//
// Usage: node vetkeys.mjs < requests.jsonl
//
// Every byte string is hex. Requests ({"op": ..., fields}) and replies:
//
//   info                      -> {name, version}
//   productionKey  {keyId}    -> {masterKey}        MasterPublicKey.productionKey(keyId)
//   derive {masterKey, canisterId, context}
//                             -> {canisterKey, publicKey}
//                                MasterPublicKey.deserialize(masterKey)
//                                  .deriveCanisterKey(canisterId).deriveSubKey(context)
//   transportKey              -> {id, publicKey, secretKey}   TransportSecretKey.random(),
//                                kept under id for later requests
//   decrypt {transportKeyId, encryptedKey, publicKey, input, ibeCiphertext?,
//            symmetricDomain?}
//                             -> {vetKey, ibePlaintext?, symmetricKey?}
//                                EncryptedVetKey.deserialize(encryptedKey)
//                                  .decryptAndVerify(tsk, DerivedPublicKey, input);
//                                then IbeCiphertext.deserialize(ibeCiphertext).decrypt(vetKey)
//                                and vetKey.deriveSymmetricKey(symmetricDomain, 32)
//   ibeEncrypt {publicKey, identity, message}
//                             -> {ciphertext}       IbeCiphertext.encrypt with a random seed
//   ibeDecrypt {ciphertext, vetKey}
//                             -> {plaintext}        VetKey.deserialize(vetKey)
//   verifyVetKey {publicKey, input, vetKey}
//                             -> {valid}            verifyBlsSignature
//
// A request the library refuses (it throws) gets {"error": message}. The
// process exits when standard input ends.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  DerivedPublicKey,
  EncryptedVetKey,
  IbeCiphertext,
  IbeIdentity,
  IbeSeed,
  MasterPublicKey,
  TransportSecretKey,
  VetKey,
  verifyBlsSignature,
} from '@dfinity/vetkeys';

const pkg = JSON.parse(
  readFileSync(new URL('./node_modules/@dfinity/vetkeys/package.json', import.meta.url)),
);

function hex(b) {
  return Buffer.from(b).toString('hex');
}

function bytes(h) {
  if (typeof h !== 'string' || !/^([0-9a-f]{2})*$/i.test(h)) {
    throw new Error(`not a hex string: ${JSON.stringify(h)}`);
  }
  return new Uint8Array(Buffer.from(h, 'hex'));
}

const transportKeys = [];

const ops = {
  info: () => ({ name: pkg.name, version: pkg.version }),
  productionKey: ({ keyId }) => ({
    masterKey: hex(MasterPublicKey.productionKey(keyId).publicKeyBytes()),
  }),
  derive: ({ masterKey, canisterId, context }) => {
    const canisterKey = MasterPublicKey.deserialize(bytes(masterKey)).deriveCanisterKey(
      bytes(canisterId),
    );
    return {
      canisterKey: hex(canisterKey.publicKeyBytes()),
      publicKey: hex(canisterKey.deriveSubKey(bytes(context)).publicKeyBytes()),
    };
  },
  transportKey: () => {
    const tsk = TransportSecretKey.random();
    transportKeys.push(tsk);
    return {
      id: transportKeys.length - 1,
      publicKey: hex(tsk.publicKeyBytes()),
      secretKey: hex(tsk.serialize()),
    };
  },
  decrypt: ({ transportKeyId, encryptedKey, publicKey, input, ibeCiphertext, symmetricDomain }) => {
    const tsk = transportKeys[transportKeyId];
    if (!tsk) throw new Error(`no transport key ${transportKeyId}`);
    const vetKey = EncryptedVetKey.deserialize(bytes(encryptedKey)).decryptAndVerify(
      tsk,
      DerivedPublicKey.deserialize(bytes(publicKey)),
      bytes(input),
    );
    const out = { vetKey: hex(vetKey.serialize()) };
    if (ibeCiphertext !== undefined) {
      out.ibePlaintext = hex(IbeCiphertext.deserialize(bytes(ibeCiphertext)).decrypt(vetKey));
    }
    if (symmetricDomain !== undefined) {
      out.symmetricKey = hex(vetKey.deriveSymmetricKey(symmetricDomain, 32));
    }
    return out;
  },
  ibeEncrypt: ({ publicKey, identity, message }) => ({
    ciphertext: hex(
      IbeCiphertext.encrypt(
        DerivedPublicKey.deserialize(bytes(publicKey)),
        IbeIdentity.fromBytes(bytes(identity)),
        bytes(message),
        IbeSeed.random(),
      ).serialize(),
    ),
  }),
  ibeDecrypt: ({ ciphertext, vetKey }) => ({
    plaintext: hex(IbeCiphertext.deserialize(bytes(ciphertext)).decrypt(VetKey.deserialize(bytes(vetKey)))),
  }),
  verifyVetKey: ({ publicKey, input, vetKey }) => ({
    valid: verifyBlsSignature(DerivedPublicKey.deserialize(bytes(publicKey)), bytes(input), bytes(vetKey)),
  }),
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  let reply;
  try {
    const req = JSON.parse(line);
    const op = ops[req.op];
    if (!op) throw new Error(`unknown op ${JSON.stringify(req.op)}`);
    reply = op(req);
  } catch (e) {
    reply = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
