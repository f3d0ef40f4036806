// Starts the real `spreekuur serve` binary on a free port with a fresh data directory, and
// (optionally) on a fresh PostgreSQL database.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

const BIN = process.env.SPREEKUUR_BIN || path.resolve(import.meta.dirname, '../../target/debug/spreekuur');

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function pgAdminUrl() {
  return process.env.SPREEKUUR_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

/** `env` is extra environment, or a function of the chosen port that returns it. */
export async function startServer({ smtpUrl = '', postgres = false, env = {} } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spreekuur-e2e-'));
  const port = await freePort();
  let dbName = null;
  const extra = {};
  if (postgres) {
    dbName = 'spreekuur_e2e_' + randomUUID().replace(/-/g, '');
    execFileSync('psql', [pgAdminUrl(), '-qc', `CREATE DATABASE ${dbName}`]);
    extra.SPREEKUUR_DATABASE_URL = withDatabase(pgAdminUrl(), dbName);
  }
  const childEnv = {
    PATH: process.env.PATH,
    SPREEKUUR_LISTEN: `127.0.0.1:${port}`,
    SPREEKUUR_DATA_DIR: dataDir,
    SPREEKUUR_SMTP_URL: smtpUrl,
    SPREEKUUR_LOG_LEVEL: 'info',
    ...extra,
    ...(typeof env === 'function' ? env(port) : env),
  };
  const base = `http://localhost:${port}`;
  let stdout = '';
  let stderr = '';
  const launchChild = async () => {
    const c = spawn(BIN, ['serve'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        const r = await fetch(base + '/readyz');
        if (r.ok) break;
      } catch { /* not yet */ }
      if (c.exitCode !== null) throw new Error(`server exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`server did not become ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return c;
  };
  const exited = (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)));
  let child = await launchChild();
  const setupLink = (stdout.match(/https?:\/\/\S+\/setup\/\S+/) || [null])[0];
  return {
    base,
    port,
    dataDir,
    setupLink,
    databaseUrl: extra.SPREEKUUR_DATABASE_URL || null,
    masterKeyFile: path.join(dataDir, 'master.key'),
    logs: () => stderr,
    /** Runs `spreekuur admin …args` on this server's data, as the operator would; its output, trimmed. */
    admin(args) {
      const env = { PATH: process.env.PATH, SPREEKUUR_DATA_DIR: dataDir };
      if (extra.SPREEKUUR_DATABASE_URL) env.SPREEKUUR_DATABASE_URL = extra.SPREEKUUR_DATABASE_URL;
      return execFileSync(BIN, ['admin', ...args], { env }).toString().trim();
    },
    /** Kills the process without warning (SIGKILL) and starts it again on the same data. */
    async crashAndRestart() {
      child.kill('SIGKILL');
      await exited(child);
      child = await launchChild();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      if (dbName) execFileSync('psql', [pgAdminUrl(), '-qc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
