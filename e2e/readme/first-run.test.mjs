// The README's first command, letter for letter, as a newcomer runs it on a fresh clone: it is
// read from the README (the first `sh` block under "The two commands"), run from the
// repository's root through the shell, and must build, serve /healthz, print the one-time setup
// link on standard output (which opens the setup page), and stop cleanly on SIGTERM.
//
// Only the environment differs from a newcomer's machine, and only in what the README itself
// says can be set: a fresh data directory (a developer's own ./spreekuur-data would already
// be set up and print no link) and a free port (SPREEKUUR_LISTEN, as the README shows next to
// the command). The first build takes minutes: a release build of the whole server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../lib/server.mjs';

const root = path.resolve(import.meta.dirname, '../..');

/** The first command of the README's "The two commands" section. */
export function firstCommand(readme) {
  const section = readme.split(/^## The two commands\s*$/m)[1];
  assert.ok(section, 'the README has a section "The two commands"');
  const block = section.match(/```sh\n([\s\S]*?)```/);
  assert.ok(block, 'that section starts with an sh block');
  const lines = block[1].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines.length, 1, `the first block holds one command: ${block[1]}`);
  return lines[0];
}

test("the README's first command builds, serves and prints the setup link", { timeout: 45 * 60 * 1000 }, async () => {
  const command = firstCommand(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  assert.match(command, /serve/, `the first command starts the server: ${command}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spreekuur-readme-'));
  const port = await freePort();
  const env = { ...process.env, SPREEKUUR_DATA_DIR: dataDir, SPREEKUUR_LISTEN: `127.0.0.1:${port}` };
  for (const k of Object.keys(env)) {
    // The command runs on its embedded defaults: nothing of the test suite's own settings.
    if (k.startsWith('SPREEKUUR_') && !['SPREEKUUR_DATA_DIR', 'SPREEKUUR_LISTEN'].includes(k)) delete env[k];
  }
  // A process group of its own, so that stopping it reaches cargo's child, the server.
  const child = spawn('sh', ['-c', command], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  // 'close', not 'exit': the shell may end at the signal while the server, which shares its
  // output pipes, is still shutting down; the pipes close when the last of them has gone.
  const closed = new Promise((r) => child.once('close', (code, signal) => r({ code, signal })));
  try {
    const deadline = Date.now() + 40 * 60 * 1000;
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) break;
      } catch { /* still building or starting */ }
      if (child.exitCode !== null) assert.fail(`\`${command}\` exited with ${child.exitCode}:\n${stderr.slice(-4000)}`);
      assert.ok(Date.now() < deadline, `no /healthz within 40 minutes:\n${stderr.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // The link is printed before the server listens; give the pipe a moment all the same.
    for (let i = 0; i < 20 && !/\/setup\//.test(stdout); i++) await new Promise((r) => setTimeout(r, 100));
    const link = (stdout.match(/https?:\/\/\S+\/setup\/\S+/) || [null])[0];
    assert.ok(link, `the setup link is on standard output:\n${stdout}`);
    assert.ok(!stderr.includes(link.split('/setup/')[1]), 'the link is not in the log');
    // The link follows the port chosen (the README says so next to the command).
    assert.ok(link.startsWith(`http://localhost:${port}/setup/`), `the link names the port: ${link}`);
    const page = await fetch(link.replace(/^https?:\/\/[^/]+/, `http://127.0.0.1:${port}`));
    assert.equal(page.status, 200, 'the setup link opens the setup page');
    assert.match(await page.text(), /Praktijk instellen/);

    process.kill(-child.pid, 'SIGTERM');
    await closed;
    // The shell may end by the signal too; the server's own log says whether it finished.
    assert.match(stderr, /http server stopped/, `the server stopped cleanly:\n${stderr.slice(-2000)}`);
  } finally {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
