// Drives chainkey's ckBTC ledger and minter through a node's IC HTTP
// interface with the unmodified @dfinity/ckbtc and @dfinity/ledger-icrc
// clients over @dfinity/agent (certified update calls, queries with node
// signatures checked).
//
// Usage:
//   node drive.mjs address HOST LEDGER MINTER SEED_HEX
//   node drive.mjs flow HOST LEDGER MINTER SEED_HEX BOB DEST
// Prints one JSON object on standard output.
import { HttpAgent } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';
import { CkBTCMinterCanister } from '@dfinity/ckbtc';
import { IcrcLedgerCanister } from '@dfinity/ledger-icrc';

const [mode, host, ledgerText, minterText, seedHex, bobText, dest] = process.argv.slice(2);
const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
const identity = Ed25519KeyIdentity.generate(seed);
const me = identity.getPrincipal();
const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true });
const minterId = Principal.fromText(minterText);
const minter = CkBTCMinterCanister.create({ agent, canisterId: minterId });
const ledger = IcrcLedgerCanister.create({ agent, canisterId: Principal.fromText(ledgerText) });
const out = { principal: me.toText() };
const str = (v) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x)));

if (mode === 'address') {
  out.address = await minter.getBtcAddress({});
} else if (mode === 'flow') {
  // update_balance until the deposit is minted.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      out.updateBalance = str(await minter.updateBalance({}));
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      out.lastUpdateError = e?.constructor?.name;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  out.symbol = (await ledger.metadata({ certified: false })).find(([k]) => k === 'icrc1:symbol')?.[1]?.Text ?? null;
  out.fee = (await ledger.transactionFee({ certified: false })).toString();
  out.balance = (await ledger.balance({ owner: me, certified: false })).toString();
  out.balanceCertified = (await ledger.balance({ owner: me, certified: true })).toString();
  const bob = Principal.fromText(bobText);
  out.transfer = (await ledger.transfer({ to: { owner: bob, subaccount: [] }, amount: 40_000_000n })).toString();
  out.bobBalance = (await ledger.balance({ owner: bob, certified: false })).toString();
  out.approve = (await ledger.approve({ spender: { owner: minterId, subaccount: [] }, amount: 30_000_000n })).toString();
  const r = await minter.retrieveBtcWithApproval({ address: dest, amount: 30_000_000n });
  out.withdrawal = r.block_index.toString();
  out.statuses = str(await minter.retrieveBtcStatusV2ByAccount({ certified: false }));
  out.minterInfo = str(await minter.getMinterInfo({ certified: false }));
  out.balanceAfter = (await ledger.balance({ owner: me, certified: false })).toString();
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
