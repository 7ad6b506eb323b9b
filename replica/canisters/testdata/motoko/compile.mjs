// Compiles Motoko actors with the official compiler (npm motoko, pinned in
// package.json). Input on stdin: {"actors": [{"name": "...", "source": "...",
// "classic": false}]}; output on stdout: {"<name>": "<base64 wasm>", ...}.
// classic selects the 32-bit classic orthogonal persistence build
// (gcFlags('classicOP')); otherwise the default wasm64 build (enhanced
// orthogonal persistence).
import mo from 'motoko';

try {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { actors } = JSON.parse(input);
  const out = {};
  // The flag stays set once given, so the default builds come first.
  const ordered = [...actors.filter((a) => !a.classic), ...actors.filter((a) => a.classic)];
  let classic = false;
  for (const a of ordered) {
    if (a.classic && !classic) {
      mo.compiler.gcFlags('classicOP');
      classic = true;
    }
    const path = a.name + '.mo';
    mo.write(path, a.source);
    const res = mo.wasm(path, 'ic');
    out[a.name] = Buffer.from(res.wasm).toString('base64');
  }
  process.stdout.write(JSON.stringify(out));
} catch (e) {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
}
