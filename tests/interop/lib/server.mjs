// Starts convox-server as a child process on a free loopback port.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const binDir = process.env.CONVOX_BIN_DIR ?? path.resolve(here, '../../../build/app');
export const API_KEY = 'devkey';
export const API_SECRET = 'secret';
// Outside --dev the server needs an encryption key for stored secrets; tests get this one unless they set their own.
export const TEST_ENCRYPT_KEY = '5e'.repeat(32);

/**
 * @param {{config?: string, args?: string[], env?: Record<string,string>, builtinWorker?: boolean, noDev?: boolean}} opts
 *   config: YAML text written to a temp file and passed with --config.
 */
export async function startServer(opts = {}) {
  // --dev starts the built-in convox-worker; tests that bring their own workers keep it out.
  const dev = opts.noDev ? [] : ['--dev', ...(opts.builtinWorker ? [] : ['--no-worker'])];
  const args = [...dev, '--port', '0', '--log-level', process.env.CONVOX_TEST_LOG_LEVEL ?? 'warn', ...(opts.args ?? [])];
  // Each server gets its own store unless the test names one (restarts reuse it).
  if (!args.includes('--data-dir')) args.push('--data-dir', mkdtempSync(path.join(tmpdir(), 'convox-data-')));
  if (opts.config) {
    const dir = mkdtempSync(path.join(tmpdir(), 'convox-test-'));
    const file = path.join(dir, 'convox.yaml');
    writeFileSync(file, opts.config);
    args.push('--config', file);
  }
  const child = spawn(path.join(binDir, 'convox-server'), args, {
    env: { CONVOX_ENCRYPT_KEY: TEST_ENCRYPT_KEY, ...process.env, ...(opts.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.CONVOX_TEST_SHOW_LOGS) process.stderr.write(d);
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on [\d.]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    get stderr() {
      return stderr;
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a built binary and returns {code, stdout, stderr}. */
export async function run(binary, args) {
  const child = spawn(path.join(binDir, binary), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** A TCP port free on 127.0.0.1 now (for a process told its port up front). */
export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
