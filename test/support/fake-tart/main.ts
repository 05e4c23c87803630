// A fake `tart` for tests, following Tart's command line (Sources/tart/Commands/*.swift) and its
// swift-argument-parser errors: usage errors exit 64 with "Error: ..." and a usage line; a missing
// VM or a VM in the wrong state exits 2 with Tart's own message.
//
// The model of a VM (all under $FAKE_TART_HOME, the test's mkdtemp):
//   vms/<name>/config.json, disk.img, nvram.bin  the VM (Tart's "initialized" files)
//   vms/<name>/root/                             the VM's filesystem as far as tests care: `exec`
//                                                runs argv on this machine with cwd and HOME at
//                                                root/home/admin, so provisioning really executes
//   vms/<name>/shims/                            first on PATH inside `exec`: sudo (runs the rest),
//                                                systemctl (starts ExecStart of units found under
//                                                root/etc/systemd/system as processes), journalctl,
//                                                apt-get and modprobe (recorded no-ops)
//   vms/<name>/run.pid                           pid of the blocking `tart run` while it runs
//   vms/<name>/services/<unit>.{pid,log}         processes systemctl started; killed with the VM
//   oci/<name>                                   images "pulled" by clone (listed with Source OCI)
//   argv.log                                     every invocation, one JSON array per line
// `ip` prints $FAKE_TART_IP or 127.0.0.1, so an agent started "in the VM" is reached on loopback.
// Knobs: FAKE_TART_VERSION (default 2.32.1), FAKE_TART_NO_NESTED=1 (`run --nested` refused like
// on an M1/M2), FAKE_TART_FAIL="<subcommand>:<exit>:<message>" (that subcommand fails so).
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { alive, die, jsonSwift, parse, readPid, tartSpecs, usage } from '../tart-args.ts';

const home = process.env.FAKE_TART_HOME;
const self = process.argv[1] ?? '';

const vmsDir = () => join(home ?? '', 'vms');
const vmDir = (name: string) => join(vmsDir(), name);
const exists = (name: string) =>
  ['config.json', 'disk.img', 'nvram.bin'].every((f) => existsSync(join(vmDir(name), f)));

const running = (name: string) => readPid(join(vmDir(name), 'run.pid')) !== null;

function requireVm(name: string): void {
  if (!exists(name)) die(`the specified VM "${name}" does not exist`, 2);
}

function writeShims(name: string): void {
  const dir = join(vmDir(name), 'shims');
  mkdirSync(dir, { recursive: true });
  for (const shim of ['sudo', 'systemctl', 'journalctl', 'apt-get', 'modprobe']) {
    writeFileSync(
      join(dir, shim),
      `#!/bin/sh\nFAKE_TART_SHIM=${shim} FAKE_TART_VM=${JSON.stringify(name)} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(self)} "$@"\n`,
      { mode: 0o755 },
    );
  }
}

interface VmConfig {
  cpu: number;
  memory: number;
  diskGb: number;
}

const readConfig = (name: string): VmConfig =>
  JSON.parse(readFileSync(join(vmDir(name), 'config.json'), 'utf8'));
const writeConfig = (name: string, c: VmConfig) =>
  writeFileSync(join(vmDir(name), 'config.json'), JSON.stringify(c));

function stopServices(name: string): void {
  const dir = join(vmDir(name), 'services');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    const pid = readPid(join(dir, f));
    if (pid !== null) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(join(dir, f), { force: true });
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// ---- shims: commands "inside the VM" -------------------------------------------------------

function splitExecStart(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const w = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '');
    words.push(w.replaceAll('$$', '$').replaceAll('%%', '%'));
  }
  return words;
}

function shim(kind: string, args: string[]): never {
  const name = process.env.FAKE_TART_VM ?? '';
  const root = join(vmDir(name), 'root');
  const services = join(vmDir(name), 'services');
  if (kind === 'sudo') {
    const rest = [...args];
    while (rest[0]?.startsWith('-')) rest.shift();
    const [file, ...argv] = rest;
    if (!file) die('usage: sudo command', 1);
    const r = spawnSync(file, argv, { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  if (kind === 'apt-get' || kind === 'modprobe') process.exit(0);
  const unitArg = args.find((a) => !a.startsWith('-') && a.endsWith('.service')) ?? '';
  const pidFile = join(services, `${unitArg}.pid`);
  const logFile = join(services, `${unitArg}.log`);
  if (kind === 'journalctl') {
    const n = Number(args[args.indexOf('-n') + 1] ?? 50);
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '-- No entries --\n';
    process.stdout.write(`${text.trimEnd().split('\n').slice(-n).join('\n')}\n`);
    process.exit(0);
  }
  // systemctl
  const verb = args.find((a) => !a.startsWith('-')) ?? '';
  const stop = () => {
    const pid = readPid(pidFile);
    if (pid !== null) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) sleepSync(50);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(pidFile, { force: true });
  };
  const start = () => {
    if (readPid(pidFile) !== null) return;
    const unitFile = join(root, 'etc', 'systemd', 'system', unitArg);
    if (!existsSync(unitFile)) die(`Failed to start ${unitArg}: Unit ${unitArg} not found.`, 5);
    const line = readFileSync(unitFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ExecStart='));
    const [file, ...argv] = splitExecStart(line?.slice('ExecStart='.length) ?? '');
    if (!file) die(`${unitArg}: no ExecStart`, 1);
    mkdirSync(services, { recursive: true });
    const fd = openSync(logFile, 'a');
    const child = spawn(file, argv, { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    writeFileSync(pidFile, String(child.pid));
  };
  switch (verb) {
    case 'daemon-reload':
    case 'enable':
      process.exit(0);
      break;
    case 'start':
      start();
      process.exit(0);
      break;
    case 'restart':
      stop();
      start();
      process.exit(0);
      break;
    case 'stop':
      stop();
      process.exit(0);
      break;
    case 'disable':
      if (args.includes('--now')) stop();
      process.exit(0);
      break;
    case 'is-active': {
      const active = readPid(pidFile) !== null;
      if (!args.includes('--quiet')) process.stdout.write(`${active ? 'active' : 'inactive'}\n`);
      process.exit(active ? 0 : 3);
      break;
    }
    default:
      die(`Unknown command verb ${verb}.`, 1);
  }
}

// ---- tart subcommands ----------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  if (process.env.FAKE_TART_SHIM) shim(process.env.FAKE_TART_SHIM, argv);
  if (!home) die('fake tart: FAKE_TART_HOME is not set', 1);
  mkdirSync(vmsDir(), { recursive: true });
  appendFileSync(join(home, 'argv.log'), `${JSON.stringify(argv)}\n`);
  const [cmd = '', ...args] = argv;
  if (cmd === '--version') {
    process.stdout.write(`${process.env.FAKE_TART_VERSION ?? '2.32.1'}\n`);
    return;
  }
  const fail = process.env.FAKE_TART_FAIL?.split(':');
  if (fail && fail[0] === cmd) die(fail.slice(2).join(':'), Number(fail[1]));

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
          const c = readConfig(name);
          const state = running(name) ? 'running' : 'stopped';
          infos.push({
            Source: 'local',
            Name: name,
            Disk: c.diskGb,
            Size: 1,
            Accessed: accessed,
            Running: state === 'running',
            State: state,
          });
        }
      }
      const ociDir = join(home, 'oci');
      if ((!source || source === 'oci') && existsSync(ociDir)) {
        for (const f of readdirSync(ociDir).sort()) {
          const name = decodeURIComponent(f);
          infos.push({
            Source: 'OCI',
            Name: name,
            Disk: 20,
            Size: 2,
            Accessed: accessed,
            Running: false,
            State: 'stopped',
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
      if (source.includes('/')) {
        mkdirSync(join(home, 'oci'), { recursive: true });
        writeFileSync(join(home, 'oci', encodeURIComponent(source)), '');
      } else {
        requireVm(source);
      }
      const dir = vmDir(name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'root', 'home', 'admin'), { recursive: true });
      writeConfig(
        name,
        source.includes('/') ? { cpu: 4, memory: 4096 * 1024 * 1024, diskGb: 20 } : readConfig(source),
      );
      writeFileSync(join(dir, 'disk.img'), '');
      writeFileSync(join(dir, 'nvram.bin'), '');
      writeShims(name);
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
        c.diskGb = gb;
      }
      writeConfig(name, c);
      return;
    }
    case 'run': {
      const p = parse(cmd, tartSpecs.run, args);
      if (p.flags.has('nested') && process.env.FAKE_TART_NO_NESTED === '1') {
        usage(cmd, 'run <name>', 'Nested virtualization is available for Mac with the M3 chip, and later.');
      }
      const name = p.positionals[0] ?? '';
      requireVm(name);
      if (running(name)) die(`VM "${name}" is already running!`, 2);
      const pidFile = join(vmDir(name), 'run.pid');
      writeFileSync(pidFile, String(process.pid));
      const keepAlive = setInterval(() => {}, 60_000);
      const shutdown = () => {
        clearInterval(keepAlive);
        stopServices(name);
        rmSync(pidFile, { force: true });
        process.exit(0);
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
      return;
    }
    case 'ip': {
      const p = parse(cmd, tartSpecs.ip, args);
      const name = p.positionals[0] ?? '';
      requireVm(name);
      const until = Date.now() + Number(p.options.get('wait') ?? 0) * 1000;
      while (!running(name) && Date.now() < until) sleepSync(200);
      if (!running(name)) die('no IP address found, is your VM running?', 1);
      process.stdout.write(`${process.env.FAKE_TART_IP ?? '127.0.0.1'}\n`);
      return;
    }
    case 'exec': {
      // Flags only before the VM name; everything after it is the command, `--` included.
      let i = 0;
      let interactive = false;
      for (; i < args.length && (args[i] ?? '').startsWith('-'); i++) {
        const a = args[i] ?? '';
        if (a === '-i') interactive = true;
        else if (a === '-t') {
        } else if (a === '-it' || a === '-ti') interactive = true;
        else usage(cmd, 'exec [-i] [-t] <name> <command> ...', `Unknown option '${a}'`);
      }
      const name = args[i];
      const command = args.slice(i + 1);
      if (name === undefined)
        usage(cmd, 'exec [-i] [-t] <name> <command> ...', "Missing expected argument '<name>'");
      if (command.length === 0)
        usage(cmd, 'exec [-i] [-t] <name> <command> ...', "Missing expected argument '<command> ...'");
      requireVm(name);
      if (!running(name)) die(`VM "${name}" is not running`, 2);
      const [file = '', ...rest] = command;
      const dir = vmDir(name);
      const cwd = join(dir, 'root', 'home', 'admin');
      const r = spawnSync(file, rest, {
        cwd,
        stdio: [interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          HOME: cwd,
          USER: 'admin',
          PATH: `${join(dir, 'shims')}:${process.env.PATH ?? ''}`,
          FAKE_TART_VM_ROOT: join(dir, 'root'),
        },
      });
      if (r.error) die(`exec: "${file}": executable file not found in $PATH`, 1);
      process.exit(r.status ?? 1);
      break;
    }
    case 'stop': {
      const p = parse(cmd, tartSpecs.stop, args);
      const name = p.positionals[0] ?? '';
      requireVm(name);
      const pid = readPid(join(vmDir(name), 'run.pid'));
      if (pid === null) die(`VM "${name}" is not running`, 2);
      process.kill(pid, 'SIGINT');
      const until = Date.now() + Number(p.options.get('timeout') ?? 30) * 1000;
      while (alive(pid) && Date.now() < until) sleepSync(100);
      if (alive(pid)) {
        process.kill(pid, 'SIGKILL');
        stopServices(name);
        rmSync(join(vmDir(name), 'run.pid'), { force: true });
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

await main(process.argv.slice(2));
