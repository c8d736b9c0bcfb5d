import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { sedaBin } from './support/process.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = join(repo, 'deploy');

/** `seda <args>` with a bound; resolves with exit code and output. */
async function seda(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [sedaBin, ...args], { timeout: 60_000, encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** The long flags a `seda <command> --help` lists. */
const helpCache = new Map<string, Promise<Set<string>>>();
function flagsOf(command: string): Promise<Set<string>> {
  let p = helpCache.get(command);
  if (p === undefined) {
    p = seda([command, '--help']).then((r) => {
      expect(r.code, `seda ${command} --help: ${r.stderr}`).to.equal(0);
      return new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
    });
    helpCache.set(command, p);
  }
  return p;
}

/** `seda run --help` names each configuration variable as `[env SEDA_X`. */
async function runEnvNames(): Promise<Set<string>> {
  const r = await seda(['run', '--help']);
  return new Set([...r.stdout.matchAll(/env\s+(SEDA_[A-Z_]+)/g)].map((m) => m[1]));
}

/** A seda invocation found in a file: its command, flags and the values given to them. */
interface Invocation {
  where: string;
  command: string;
  stage: string;
  flags: Map<string, string | undefined>;
}

function invocationOf(argv: string[], where: string): Invocation | undefined {
  const at = argv.findIndex((a) => /(^|\/)seda(\.js)?$/.test(a));
  if (at < 0) return undefined;
  const [command, stage] = [argv[at + 1], argv[at + 2]];
  const flags = new Map<string, string | undefined>();
  const rest = argv.slice(at + 2);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) continue;
    const [name, inline] = a.split('=', 2);
    const next = rest[i + 1];
    flags.set(name, inline ?? (next !== undefined && !next.startsWith('--') ? next : undefined));
  }
  return { where, command, stage, flags };
}

type Obj = { [key: string]: any };

interface K8sContainer {
  file: string;
  kind: string;
  name: string;
  spec: Obj;
  pod: Obj;
  workload: Obj;
  invocation: Invocation;
}

function kubernetesFiles(): Array<{ file: string; docs: Obj[] }> {
  const dir = join(deployDir, 'kubernetes');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const docs = parseAllDocuments(readFileSync(join(dir, f), 'utf8'));
      for (const d of docs) expect(d.errors, `${f}: ${d.errors.join('; ')}`).to.deep.equal([]);
      return { file: `deploy/kubernetes/${f}`, docs: docs.map((d) => d.toJS() as Obj).filter((d) => d !== null) };
    });
}

function containers(): K8sContainer[] {
  const out: K8sContainer[] = [];
  for (const { file, docs } of kubernetesFiles()) {
    for (const doc of docs) {
      const pod = doc.spec?.template?.spec;
      if (pod === undefined) continue;
      for (const c of pod.containers as Obj[]) {
        const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String);
        const invocation = invocationOf(argv, `${file} ${doc.kind}/${doc.metadata.name}`);
        if (invocation) out.push({ file, kind: doc.kind, name: doc.metadata.name, spec: c, pod, workload: doc, invocation });
      }
    }
  }
  return out;
}

/** The `config.json` a container reads with --config, from the ConfigMap mounted there. */
function mountedConfig(c: K8sContainer): Obj | undefined {
  const path = c.invocation.flags.get('--config');
  if (path === undefined) return undefined;
  const mount = (c.spec.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));
  const volume = (c.pod.volumes as Obj[]).find((v) => v.name === mount?.name);
  const map = kubernetesFiles()
    .flatMap((f) => f.docs)
    .find((d) => d.kind === 'ConfigMap' && d.metadata.name === volume?.configMap?.name);
  const text = map?.data?.[basename(path)];
  expect(text, `${c.invocation.where}: --config ${path} is not in a mounted ConfigMap`).to.be.a('string');
  return JSON.parse(text) as Obj;
}

/** systemd ExecStart= lines, continuation lines joined, specifiers filled in for instance `instance`. */
function execStarts(text: string, instance: string): string[][] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .filter((l) => l.startsWith('ExecStart='))
    .map((l) =>
      l
        .slice('ExecStart='.length)
        .replace(/^[-@:+!]+/, '')
        .replace(/%i/g, instance)
        .trim()
        .split(/\s+/),
    );
}

function unitSetting(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return m?.[1].trim();
}

const stageInfo = new Map<string, Promise<Obj>>();
function describe_(stage: string): Promise<Obj> {
  let p = stageInfo.get(stage);
  if (p === undefined) {
    p = seda(['describe', stage, '--json']).then((r) => {
      expect(r.code, `seda describe ${stage}: ${r.stderr}`).to.equal(0);
      return JSON.parse(r.stdout) as Obj;
    });
    stageInfo.set(stage, p);
  }
  return p;
}

/** Checks a configuration file with the real `seda config`, and its "options" against the stage's declared ones. */
async function checkConfig(config: Obj, stage: string, where: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'seda-deploy-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const r = await seda(['config', '--print', '--json', '--config', file]);
    expect(r.code, `${where}: seda config rejects it: ${r.stderr}`).to.equal(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const declared = Object.keys((await describe_(stage)).options ?? {});
  for (const name of Object.keys(config.options ?? {})) {
    expect(declared, `${where}: option "${name}" is not declared by ${stage}`).to.include(name);
  }
}

function shutdownTimeoutMs(inv: Invocation, config: Obj | undefined): number {
  const flag = inv.flags.get('--shutdown-timeout');
  return Number(flag ?? config?.shutdownTimeoutMs ?? 30_000);
}

describe('deploy/: the systemd unit and Kubernetes manifests', function () {
  // Each check runs the real CLI (help, config, describe): a few seconds a process on a loaded machine.
  this.timeout(180_000);

  it('every Kubernetes container runs a real seda command with flags `seda run --help` lists, a valid config file and known SEDA_* variables', async () => {
    const found = containers();
    expect(found.map((c) => c.name).sort()).to.deep.equal(['audit', 'billing', 'meter-readings']);
    const envNames = await runEnvNames();
    expect(envNames.size, 'SEDA_* variables in seda run --help').to.be.greaterThan(20);
    for (const c of found) {
      const { invocation: inv } = c;
      expect(inv.command, inv.where).to.equal('run');
      const known = await flagsOf(inv.command);
      for (const flag of inv.flags.keys()) expect(known.has(flag), `${inv.where}: ${flag} is not an option of seda ${inv.command} (seda ${inv.command} --help)`).to.equal(true);
      for (const e of (c.spec.env ?? []) as Obj[]) {
        const name = String(e.name);
        if (!name.startsWith('SEDA_')) continue;
        const ok = envNames.has(name) || /^SEDA_KAFKA_[A-Z0-9_]+$/.test(name) || /^SEDA_OPT_[A-Z0-9_]+$/.test(name) || name === 'SEDA_CONFIG';
        expect(ok, `${inv.where}: ${name} is not a variable seda reads`).to.equal(true);
      }
      const config = mountedConfig(c);
      if (config) await checkConfig(config, inv.stage, inv.where);
    }
  });

  it('stages have /healthz and /readyz probes on --metrics-port, a grace period above the shutdown timeout, and the SASL password from the Secret', async () => {
    const secretDocs = kubernetesFiles().flatMap((f) => f.docs).filter((d) => d.kind === 'Secret');
    let stages = 0;
    for (const c of containers()) {
      const inv = c.invocation;
      const config = mountedConfig(c);
      const grace = Number(c.pod.terminationGracePeriodSeconds);
      const info = await describe_(inv.stage);
      const password = ((c.spec.env ?? []) as Obj[]).find((e) => e.name === 'SEDA_KAFKA_SASL_PASSWORD');
      const ref = password?.valueFrom?.secretKeyRef;
      expect(ref, `${inv.where}: SEDA_KAFKA_SASL_PASSWORD from a secretKeyRef`).to.not.equal(undefined);
      const secret = secretDocs.find((s) => s.metadata.name === ref.name);
      expect(secret?.stringData?.[ref.key] ?? secret?.data?.[ref.key], `${inv.where}: Secret ${ref.name} has key ${ref.key}`).to.not.equal(undefined);
      expect(password!.value, `${inv.where}: no literal password`).to.equal(undefined);
      expect(JSON.stringify(config ?? {}), `${inv.where}: no password in the ConfigMap`).to.not.match(/password/i);
      if (info.input === undefined) continue; // a source: no group, no readiness
      stages++;
      expect(grace * 1000, `${inv.where}: terminationGracePeriodSeconds above the shutdown timeout`).to.be.greaterThan(shutdownTimeoutMs(inv, config));
      const port = Number(inv.flags.get('--metrics-port') ?? config?.metricsPort);
      expect(port, `${inv.where}: --metrics-port`).to.be.greaterThan(0);
      const named = ((c.spec.ports ?? []) as Obj[]).find((p) => p.containerPort === port);
      expect(named, `${inv.where}: a containerPort ${port}`).to.not.equal(undefined);
      for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
        const get = c.spec[probe]?.httpGet;
        expect(get?.path, `${inv.where}: ${probe}`).to.equal(path);
        expect([port, named!.name], `${inv.where}: ${probe} on the metrics port`).to.include(get.port);
      }
    }
    expect(stages).to.equal(2);
  });

  it('the stateful stage is a StatefulSet whose --state-dir is on a volume from volumeClaimTemplates', async () => {
    const stateful = [];
    for (const c of containers()) {
      const info = await describe_(c.invocation.stage);
      if (info.mode !== 'state' && info.mode !== 'exactly-once') continue;
      stateful.push(c.name);
      expect(c.kind, `${c.invocation.where}: a stateful stage`).to.equal('StatefulSet');
      const dir = c.invocation.flags.get('--state-dir') ?? mountedConfig(c)?.stateDir;
      expect(dir, `${c.invocation.where}: --state-dir`).to.be.a('string');
      const mount = ((c.spec.volumeMounts ?? []) as Obj[]).find((m) => m.mountPath === dir);
      const claims = ((c.workload.spec.volumeClaimTemplates ?? []) as Obj[]).map((t) => t.metadata.name);
      expect(claims, `${c.invocation.where}: the state dir ${dir} is mounted from a volumeClaimTemplate`).to.include(mount?.name);
    }
    expect(stateful).to.deep.equal(['billing']);
  });

  it('the systemd unit runs seda run with flags `seda run --help` lists, stops with SIGTERM to the main process only, and waits longer than the shutdown timeout', async () => {
    const dir = join(deployDir, 'systemd');
    const units = readdirSync(dir).filter((f) => f.endsWith('.service'));
    expect(units).to.deep.equal(['seda-stage@.service']);
    for (const unit of units) {
      const text = readFileSync(join(dir, unit), 'utf8');
      const lines = execStarts(text, 'billing');
      expect(lines, `${unit}: one ExecStart`).to.have.length(1);
      const inv = invocationOf(lines[0], `deploy/systemd/${unit}`);
      expect(inv?.command, `${unit}: runs seda run`).to.equal('run');
      const known = await flagsOf('run');
      for (const flag of inv!.flags.keys()) expect(known.has(flag), `${unit}: ${flag} is not an option of seda run (seda run --help)`).to.equal(true);
      expect(unitSetting(text, 'KillMode'), `${unit}: KillMode`).to.equal('mixed');
      expect(unitSetting(text, 'KillSignal')).to.equal('SIGTERM');
      const config = JSON.parse(readFileSync(join(dir, 'billing.json'), 'utf8')) as Obj;
      expect(Number(unitSetting(text, 'TimeoutStopSec')) * 1000, `${unit}: TimeoutStopSec above the shutdown timeout`).to.be.greaterThan(shutdownTimeoutMs(inv!, config));
      expect(inv!.flags.get('--state-dir'), `${unit}: the state dir is the unit's StateDirectory`).to.equal(`/var/lib/${unitSetting(text, 'StateDirectory')!.replace(/%i/g, 'billing')}`);
      await checkConfig(config, inv!.stage, 'deploy/systemd/billing.json');
      expect(JSON.stringify(config), 'no password in the config file').to.not.match(/password/i);
      const env = readFileSync(join(dir, 'billing.env.example'), 'utf8');
      expect(env).to.match(/^SEDA_KAFKA_SASL_PASSWORD=/m);
    }
  });
});
