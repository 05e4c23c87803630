// The emulated Mac's `tart`: Tart's command line (parsed exactly as the fake tart parses it, see
// test/support/tart-args.ts) backed by a real arm64 Linux VM in qemu-system-aarch64 (TCG), so the
// whole Tart flow of fc-macos runs against a real kernel, systemd, Node and aarch64 Firecracker.
//
// A VM (all under $TART_HOME, a directory the test owns; never the user's home):
//   vms/<name>/config.json   {source, cpu, memory (bytes), diskGb, mac}
//   vms/<name>/disk.qcow2    qcow2 overlay on $FCEMU_DIR/linux-vm/rootfs.qcow2
//   vms/<name>/id_ed25519    the VM's SSH key; its public half reaches the image as `fcemu.ssh_key=`
//   vms/<name>/console.log   the serial console (ttyAMA0)
//   vms/<name>/qmp.sock      QEMU's QMP socket (stop: system_powerdown)
//   vms/<name>/run.pid       pid of the blocking `tart run` while it runs
// Networking: `run` puts a tap on the bridge $FCEMU_BRIDGE (in the network namespace the suite made;
// tart and the CLI under test run inside it); dnsmasq on that bridge hands out addresses and writes
// $FCEMU_LEASES, which `ip` reads by the VM's MAC. `exec` is SSH as admin (passwordless sudo, like
// Cirrus Labs' images). Only `run --nested` gives the VM EL2 (virtualization=on), hence /dev/kvm.
// Knobs: FCEMU_DIR (shared/emu), FCEMU_MAX_CPUS (default 2), FCEMU_MAX_MEMORY_MIB (default 4096):
// the VM gets at most that, whatever `set` says, so a Mac-sized config fits a 2-core CI machine.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { alive, die, jsonSwift, parse, readPid, tartSpecs, usage } from '../../support/tart-args.ts';

const home = process.env.TART_HOME;
const emuDir = process.env.FCEMU_DIR ?? '';

const vmsDir = () => join(home ?? '', 'vms');
const vmDir = (name: string) => join(vmsDir(), name);
const exists = (name: string) => ['config.json', 'disk.qcow2'].every((f) => existsSync(join(vmDir(name), f)));

interface VmConfig {
  source: string;
  cpu: number;
  memory: number;
  diskGb: number;
  mac: string;
}

const readConfig = (name: string): VmConfig =>
  JSON.parse(readFileSync(join(vmDir(name), 'config.json'), 'utf8'));
const writeConfig = (name: string, c: VmConfig) =>
  writeFileSync(join(vmDir(name), 'config.json'), JSON.stringify(c));

const running = (name: string) => readPid(join(vmDir(name), 'run.pid')) !== null;
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function requireVm(name: string): void {
  if (!exists(name)) die(`the specified VM "${name}" does not exist`, 2);
}

function must(file: string, args: string[]): string {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) die(`${file} ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`, 1);
  return r.stdout;
}

/** The VM's address from dnsmasq's lease file (by MAC), or null while it has none. */
function leaseIp(mac: string): string | null {
  const file = process.env.FCEMU_LEASES;
  if (!file || !existsSync(file)) return null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [, m, ip] = line.split(' ');
    if (m?.toLowerCase() === mac.toLowerCase() && ip) return ip;
  }
  return null;
}

/** One QMP command on the VM's socket (after the capabilities handshake). */
function qmp(name: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(join(vmDir(name), 'qmp.sock'));
    let buf = '';
    let sent = 0;
    sock.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const msg = JSON.parse(line) as { QMP?: unknown; return?: unknown; error?: { desc: string } };
        if (msg.error) return reject(new Error(msg.error.desc));
        if (msg.QMP && sent === 0) {
          sent = 1;
          sock.write('{"execute":"qmp_capabilities"}\n');
        } else if (msg.return !== undefined && sent === 1) {
          sent = 2;
          sock.write(`${JSON.stringify({ execute: command })}\n`);
        } else if (msg.return !== undefined && sent === 2) {
          sock.end();
          resolve();
        }
      }
    });
    sock.on('error', reject);
  });
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

async function main(argv: string[]): Promise<void> {
  if (!home) die('emulated tart: TART_HOME is not set', 1);
  mkdirSync(vmsDir(), { recursive: true });
  const [cmd = '', ...args] = argv;
  if (cmd === '--version') {
    process.stdout.write('2.32.1\n');
    return;
  }
  switch (cmd) {
    case 'list': {
      const p = parse(cmd, tartSpecs.list, args);
      const format = p.options.get('format') ?? 'text';
      if (!['text', 'json'].includes(format))
        usage(cmd, 'list', `The value '${format}' is invalid for '--format <format>'`);
      const source = p.options.get('source');
      if (source && !['local', 'oci'].includes(source))
        usage(cmd, 'list', `'${source}' is not a valid <source>`);
      const infos: Array<Record<string, unknown>> = [];
      const accessed = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      if (!source || source === 'local') {
        for (const name of readdirSync(vmsDir()).sort()) {
          if (!exists(name)) continue;
          const state = running(name) ? 'running' : 'stopped';
          infos.push({
            Source: 'local',
            Name: name,
            Disk: readConfig(name).diskGb,
            Size: 1,
            Accessed: accessed,
            Running: state === 'running',
            State: state,
          });
        }
      }
      if (p.flags.has('quiet')) for (const i of infos) process.stdout.write(`${i.Name}\n`);
      else if (format === 'json') process.stdout.write(`${jsonSwift(infos)}\n`);
      else
        for (const i of infos) process.stdout.write(`${i.Source} ${i.Name} ${i.Disk} ${i.Size} ${i.State}\n`);
      return;
    }
    case 'clone': {
      const p = parse(cmd, tartSpecs.clone, args);
      const [source = '', name = ''] = p.positionals;
      if (name.includes('/'))
        usage(cmd, 'clone <source-name> <new-name>', '<new-name> should be a local name');
      if (!source.includes('/')) requireVm(source);
      const base = join(emuDir, 'linux-vm', 'rootfs.qcow2');
      if (!existsSync(base)) die(`emulated tart: ${base} not found (set FCEMU_DIR to shared/emu)`, 1);
      const dir = vmDir(name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      must('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, join(dir, 'disk.qcow2')]);
      must('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-C',
        `tart-${name}`,
        '-f',
        join(dir, 'id_ed25519'),
      ]);
      const mac = `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      writeConfig(name, { source, cpu: 2, memory: 4096 * 1024 * 1024, diskGb: 16, mac });
      return;
    }
    case 'set': {
      const p = parse(cmd, tartSpecs.set, args);
      const name = p.positionals[0] ?? '';
      requireVm(name);
      const c = readConfig(name);
      if (p.options.has('cpu')) c.cpu = Number(p.options.get('cpu'));
      if (p.options.has('memory')) c.memory = Number(p.options.get('memory')) * 1024 * 1024;
      if (p.options.has('disk-size')) {
        const gb = Number(p.options.get('disk-size'));
        if (gb < c.diskGb)
          die(`new disk size of ${gb} GB should be larger than the current disk size of ${c.diskGb} GB`, 1);
        if (gb > c.diskGb) must('qemu-img', ['resize', '-q', join(vmDir(name), 'disk.qcow2'), `${gb}G`]);
        c.diskGb = gb;
      }
      writeConfig(name, c);
      return;
    }
    case 'run':
      return run(parse(cmd, tartSpecs.run, args));
    case 'ip': {
      const p = parse(cmd, tartSpecs.ip, args);
      const name = p.positionals[0] ?? '';
      requireVm(name);
      const mac = readConfig(name).mac;
      const until = Date.now() + Number(p.options.get('wait') ?? 0) * 1000;
      let ip = running(name) ? leaseIp(mac) : null;
      while (ip === null && Date.now() < until) {
        sleepSync(500);
        ip = running(name) ? leaseIp(mac) : null;
      }
      if (ip === null) die('no IP address found, is your VM running?', 1);
      process.stdout.write(`${ip}\n`);
      return;
    }
    case 'exec':
      return exec(args);
    case 'stop': {
      const p = parse(cmd, tartSpecs.stop, args);
      const name = p.positionals[0] ?? '';
      requireVm(name);
      const pidFile = join(vmDir(name), 'run.pid');
      const pid = readPid(pidFile);
      if (pid === null) die(`VM "${name}" is not running`, 2);
      // An ACPI power-button press: the guest shuts down cleanly and QEMU exits; killed after N s.
      await qmp(name, 'system_powerdown').catch((err: Error) =>
        process.stderr.write(`system_powerdown: ${err.message}\n`),
      );
      const until = Date.now() + Number(p.options.get('timeout') ?? 30) * 1000;
      while (alive(pid) && Date.now() < until) sleepSync(200);
      if (alive(pid)) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && alive(pid); i++) sleepSync(100);
      }
      return;
    }
    case 'delete': {
      const p = parse(
        cmd,
        { synopsis: 'delete <name> ...', flags: [], options: {}, positionals: ['name', 'more...'] },
        args,
      );
      for (const name of p.positionals) {
        requireVm(name);
        if (running(name)) die(`VM "${name}" is running`, 1);
        rmSync(vmDir(name), { recursive: true, force: true });
      }
      return;
    }
    default:
      die(
        `Error: Unexpected argument '${cmd}'\nUsage: tart <subcommand>\n  See 'tart --help' for more information.`,
        64,
      );
  }
}

/** `tart run`: QEMU in the foreground until the VM powers off (or this process is signalled). */
function run(p: ReturnType<typeof parse>): Promise<void> {
  const name = p.positionals[0] ?? '';
  requireVm(name);
  if (running(name)) die(`VM "${name}" is already running!`, 2);
  const bridge = process.env.FCEMU_BRIDGE;
  if (!bridge) die('emulated tart: FCEMU_BRIDGE is not set (the bridge the VM joins)', 1);
  const dir = vmDir(name);
  const c = readConfig(name);
  const cpus = Math.min(c.cpu, Number(process.env.FCEMU_MAX_CPUS ?? 2));
  const memMib = Math.min(c.memory / 1024 / 1024, Number(process.env.FCEMU_MAX_MEMORY_MIB ?? 4096));
  // Interface names are at most 15 bytes: a short random one, removed when QEMU exits.
  const tap = `fcet${randomBytes(4).toString('hex')}`;
  must('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  must('ip', ['link', 'set', tap, 'master', bridge, 'up']);
  const key = Buffer.from(readFileSync(join(dir, 'id_ed25519.pub'), 'utf8').trim()).toString('base64');
  rmSync(join(dir, 'qmp.sock'), { force: true });
  const machine = `virt,gic-version=3${p.flags.has('nested') ? ',virtualization=on' : ''}`;
  const qemu = spawn(
    'qemu-system-aarch64',
    [
      ...[
        '-machine',
        machine,
        '-cpu',
        process.env.FCEMU_CPU ?? 'max',
        '-smp',
        String(cpus),
        '-m',
        String(memMib),
      ],
      ...['-kernel', join(emuDir, 'linux-vm', 'vmlinuz'), '-initrd', join(emuDir, 'linux-vm', 'initrd.img')],
      ...['-append', `root=/dev/vda rw console=ttyAMA0 fcemu.ssh_key=${key}`],
      ...['-drive', `if=none,file=${join(dir, 'disk.qcow2')},id=hd0,format=qcow2`],
      ...['-device', 'virtio-blk-pci,drive=hd0'],
      ...['-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no`],
      ...['-device', `virtio-net-pci,netdev=n0,mac=${c.mac},romfile=`],
      ...['-qmp', `unix:${join(dir, 'qmp.sock')},server=on,wait=off`],
      ...['-serial', `file:${join(dir, 'console.log')}`, '-display', 'none', '-monitor', 'none'],
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  writeFileSync(join(dir, 'run.pid'), String(process.pid));
  const stopQemu = () => qemu.kill('SIGTERM');
  process.on('SIGINT', stopQemu);
  process.on('SIGTERM', stopQemu);
  process.on('SIGHUP', stopQemu);
  return new Promise((resolve) => {
    const done = (code: number) => {
      spawnSync('ip', ['link', 'del', tap]);
      rmSync(join(dir, 'run.pid'), { force: true });
      rmSync(join(dir, 'qmp.sock'), { force: true });
      process.exitCode = code;
      resolve();
    };
    qemu.on('error', (err) => {
      process.stderr.write(`qemu-system-aarch64: ${err.message}\n`);
      done(1);
    });
    qemu.on('exit', (code) => done(code ?? 1));
  });
}

/** `tart exec [-i] [-t] NAME CMD...`: CMD as admin over SSH; flags only before the VM name. */
function exec(args: string[]): void {
  const syn = 'exec [-i] [-t] <name> <command> ...';
  let i = 0;
  let interactive = false;
  let tty = false;
  for (; i < args.length && (args[i] ?? '').startsWith('-'); i++) {
    const a = args[i] ?? '';
    if (a === '-i') interactive = true;
    else if (a === '-t') tty = true;
    else if (a === '-it' || a === '-ti') interactive = tty = true;
    else usage('exec', syn, `Unknown option '${a}'`);
  }
  const name = args[i];
  const command = args.slice(i + 1);
  if (name === undefined) usage('exec', syn, "Missing expected argument '<name>'");
  if (command.length === 0) usage('exec', syn, "Missing expected argument '<command> ...'");
  requireVm(name);
  if (!running(name)) die(`VM "${name}" is not running`, 2);
  const ip = leaseIp(readConfig(name).mac);
  if (ip === null) die(`VM "${name}" has no IP address yet`, 1);
  const r = spawnSync(
    'ssh',
    [
      ...['-i', join(vmDir(name), 'id_ed25519'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no'],
      ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10'],
      ...(tty ? ['-tt'] : interactive ? [] : ['-n']),
      `admin@${ip}`,
      '--',
      command.map(shellQuote).join(' '),
    ],
    { stdio: [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'] },
  );
  if (r.error) die(`exec: ssh: ${r.error.message}`, 1);
  process.exit(r.status ?? 1);
}

await main(process.argv.slice(2));
