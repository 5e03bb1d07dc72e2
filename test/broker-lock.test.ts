// The broker distribution's downloads are checked against broker/artifacts.lock
// before they are used: a cached download with one byte changed stops the
// assembly with a message that names the file and both digests, and an
// artifact the lock does not list is refused. broker/assemble.sh runs as the
// set-up runs it, against a copy of the cache, so once the downloads are
// cached this needs no network (otherwise the first step fetches them with
// mvn, through the same script).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'broker', 'assemble.sh');
const CACHE = process.env.AMQ_KEEPER_CACHE || join(homedir(), '.cache', 'amq-keeper');

// The layout tarball: the first artifact the assembly fetches.
const lock = readFileSync(join(ROOT, 'broker', 'artifacts.lock'), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split(/\s+/));
const tarball = lock.find(([digest, coords]) => digest !== 'absent' && /^org\.apache\.activemq:apache-activemq:[^:]+:tar\.gz:bin$/.test(coords ?? ''));
assert.ok(tarball, 'broker/artifacts.lock lists no apache-activemq tarball');
const [LOCKED_DIGEST, TARBALL] = tarball as [string, string];

function assemble(args: string[], cache: string) {
  const r = spawnSync('bash', [SCRIPT, ...args], {
    env: { ...process.env, AMQ_KEEPER_CACHE: cache },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] = (b[0] ?? 0) ^ 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}

let tmp = '';
let tampered = '';
const offset = 4096;

before(() => {
  // The verified download in the real cache (fetched once if it is not there).
  const real = assemble(['--fetch', TARBALL], CACHE);
  assert.equal(real.code, 0, `broker/assemble.sh --fetch ${TARBALL} failed:\n${real.stderr}`);
  const rel = relative(CACHE, real.stdout);
  assert.ok(!rel.startsWith('..'), `${real.stdout} is not under ${CACHE}`);
  tmp = mkdtempSync(join(tmpdir(), 'broker-lock-'));
  tampered = join(tmp, rel);
  mkdirSync(dirname(tampered), { recursive: true });
  copyFileSync(real.stdout, tampered);
});

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

test('a cached download with one byte changed stops the assembly, naming the file and both digests', () => {
  flipByte(tampered, offset);
  const actual = sha256(tampered);
  assert.notEqual(actual, LOCKED_DIGEST);
  const t0 = Date.now();
  const r = assemble([], tmp);
  assert.equal(r.code, 1, `the assembly did not fail:\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`error: ${reEscape(tampered)} \\(${reEscape(TARBALL)}\\) does not match broker/artifacts\\.lock`));
  assert.match(r.stderr, new RegExp(`expected sha256 ${LOCKED_DIGEST}\\b`));
  assert.match(r.stderr, new RegExp(`actual   sha256 ${actual}\\b`));
  assert.match(r.stderr, /--update-lock/);
  // It stopped before anything else: no other download, no distribution.
  assert.deepEqual(
    readdirSync(tmp).filter((f) => !f.startsWith('.')),
    ['broker-downloads'],
  );
  assert.deepEqual(filesUnder(join(tmp, 'broker-downloads')), [tampered]);
  assert.ok(Date.now() - t0 < 60_000, `took ${Date.now() - t0} ms`);
});

test('the same download with the byte put back passes the same check', () => {
  flipByte(tampered, offset);
  const r = assemble(['--fetch', TARBALL], tmp);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, tampered);
});

test('an artifact the lock does not list is refused, by name, without fetching it', () => {
  const coords = 'org.apache.activemq:activemq-broker:5.16.6';
  const r = assemble(['--fetch', coords], tmp);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error: ${reEscape(coords)} is not in broker/artifacts\\.lock`));
  assert.match(r.stderr, /--update-lock/);
  assert.ok(!existsSync(join(tmp, 'broker-downloads', 'org.apache.activemq', 'activemq-broker-5.16.6.jar')));
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
