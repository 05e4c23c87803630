// `npm run bench:emulated`: the figures only real guests can give, on the emulated Mac (the tier of
// test/emulated: QEMU TCG → arm64 Linux VM → real aarch64 Firecracker). TCG makes absolute times
// meaningless, so every figure is a ratio of two paths measured in the same run, alternated:
//
// - run → prompt through fc-macos (the CLI on the Mac, the agent in the VM) vs the same Firecracker
//   calls made directly in the VM by a script (curl on the API socket), each with a fresh copy of the
//   rootfs, a tap, a vsock and the same boot args (issue 17, goal ≤ 1.05×);
// - create → running (`run -b`, the CLI's whole command) vs the direct calls to InstanceStart
//   (issue 19, goal ≤ 1.10×);
// - boot → ready (the guest agent answers: `run -b --wait`) vs boot → prompt (issue 22);
// - exec round trip (`exec NAME -- true`) vs typing the same command on the attached console and
//   seeing its answer (issue 22), both from the Mac with the CLI's start included;
// - cp throughput of 10 MiB in and out vs the same bytes through `exec -i … cat` (issue 22);
// - stop: through the guest agent vs the 10 s wait and kill that aarch64 had before (issue 22, goal
//   under 2 s end to end);
// - snapshot load → the console answers, into a new microVM, vs cold boot → the console answers
//   (issue 17, goal ≤ 0.2×).
// FCEMU_REUSE / FCEMU_KEEP work as in the tests (docs/testing.md); `-- --quick` runs fewer rounds,
// `-- --only boot|guest|snapshot` one section.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOT_MS, inTerminal, statusOf, typeInConsole } from '../test/emulated/support/guest.ts';
import { EmulatedMac, emulatedProblem, guestKernel, VM_NAME } from '../test/emulated/support/mac.ts';
import { now, percentile, printTable, ratio } from './lib.ts';

const quick = process.argv.includes('--quick');
// --only boot, guest or snapshot: one section.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const N_BOOT = quick ? 2 : 3;
const N_EXEC = quick ? 5 : 15;

const median = (xs: number[]): number => percentile(xs, 50);
const ms = (x: number): string => `${x.toFixed(0)} ms`;

/** Runs `fc-macos ARGS`; throws when it fails (its output is printed); returns how long it took. */
async function timedOk(
  mac: EmulatedMac,
  args: string[],
  timeoutMs = BOOT_MS,
  stdin?: Buffer,
): Promise<number> {
  const t0 = now();
  const r = await mac.fcm(args, timeoutMs, stdin);
  if (r.exitCode !== 0) throw new Error(`fc-macos ${args.join(' ')} failed (output above)`);
  return now() - t0;
}

// The same calls the agent makes, made directly in the VM by one small Node process (timed after
// Node's own start, which is slow under TCG): a tap, a fresh sparse copy of the rootfs, the API
// calls on firecracker's socket, then its console (stdout) watched for the prompt. No process is
// spawned per API call, as the agent spawns none. Prints "<ms to InstanceStart> <ms to the prompt>".
const DIRECT = `
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
const [fc, kernel, rootfs, bootArgs, vcpus, mem, tap, mac] = process.argv.slice(1);
const d = mkdtempSync('/run/fcm-bench-');
const sock = d + '/api.sock';
const put = (path, body) => new Promise((resolve, reject) => {
  const req = http.request({ socketPath: sock, path, method: 'PUT', headers: { 'Content-Type': 'application/json' } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode < 300 ? resolve() : reject(new Error(path + ': ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(JSON.stringify(body));
});
let vmm;
try {
  const t0 = performance.now();
  // The tap is part of the work: fc-macos makes one per microVM inside its create.
  spawnSync('ip', ['tuntap', 'add', tap, 'mode', 'tap']);
  spawnSync('ip', ['link', 'set', tap, 'up']);
  const copy = spawn('cp', ['--sparse=always', rootfs, d + '/rootfs.ext4']);
  const copied = new Promise((r) => copy.on('exit', r));
  vmm = spawn(fc, ['--api-sock', sock], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const prompt = new Promise((resolve) => vmm.stdout.on('data', (c) => { out += c; if (out.includes('microvm:~# ')) resolve(); }));
  while (!existsSync(sock)) await new Promise((r) => setTimeout(r, 5));
  await put('/boot-source', { kernel_image_path: kernel, boot_args: bootArgs });
  await put('/machine-config', { vcpu_count: Number(vcpus), mem_size_mib: Number(mem) });
  await put('/network-interfaces/eth0', { iface_id: 'eth0', host_dev_name: tap, guest_mac: mac });
  await put('/vsock', { guest_cid: 3, uds_path: d + '/vsock.sock' });
  await copied;
  await put('/drives/rootfs', { drive_id: 'rootfs', path_on_host: d + '/rootfs.ext4', is_root_device: true, is_read_only: false });
  await put('/actions', { action_type: 'InstanceStart' });
  const t1 = performance.now();
  await prompt;
  const t2 = performance.now();
  console.log(Math.round(t1 - t0) + ' ' + Math.round(t2 - t0));
} finally {
  vmm?.kill('SIGKILL');
  spawnSync('ip', ['link', 'del', tap]);
  rmSync(d, { recursive: true, force: true });
}
`;

async function main(): Promise<void> {
  const problem = emulatedProblem();
  if (problem) {
    console.log(`emulated bench skipped: ${problem}`);
    return;
  }
  const started = Date.now();
  const mac = new EmulatedMac();
  mac.quiet = true;
  try {
    const url = mac.serveAssets();
    console.log(
      mac.reused ? `reusing the emulated Mac in ${mac.dir}` : 'setting up the emulated Mac (minutes)…',
    );
    await timedOk(
      mac,
      ['setup', '--provider', 'tart', '--assets-url', url, '--kernel', guestKernel],
      45 * 60_000,
    );
    if (only === undefined || only === 'boot') await boot(mac);
    if (only === undefined || only === 'guest') await guestAgent(mac);
    if (only === undefined || only === 'snapshot') await snapshotLoad(mac);
  } finally {
    await mac.dispose();
  }
  console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** fc-macos run in a terminal until the prompt; returns the time from the command's start. */
function runToPrompt(mac: EmulatedMac, name: string): Promise<number> {
  const t0 = now();
  return inTerminal(mac, ['run', '--name', name], async (term) => {
    // The prompt's first appearance, as the direct path tells it: the tests' PROMPT wants it last
    // on the screen, which kernel lines printed after it can hold off.
    await term.waitFor(/microvm:~# /, BOOT_MS);
    return now() - t0;
  });
}

async function boot(mac: EmulatedMac): Promise<void> {
  const viaFcm: number[] = [];
  const ready: number[] = [];
  const direct: number[] = [];
  const directStart: number[] = [];
  const created: number[] = [];
  for (let i = 0; i < N_BOOT; i++) {
    const name = `bench-boot-${i}`;
    viaFcm.push(await runToPrompt(mac, name));
    const vm = await statusOf(mac, name);
    await mac.fcm(['microvm', 'rm', '-f', name]);
    const address = '172.30.0.254';
    // The same boot args, the guest's own address aside (the direct microVM is on no bridge).
    const args = vm.boot_args.replace(/ip=[^:\s]+/, `ip=${address}`);
    const r = await mac.tart(
      [
        ...['exec', VM_NAME, 'sudo', 'node', '--input-type=module', '-e', DIRECT],
        ...['/var/lib/fc-agent/bin/firecracker', vm.kernel, '/var/lib/fc-agent/images/rootfs.ext4', args],
        ...[String(vm.vcpus), String(vm.memory_mib), 'fcmbench0', '06:00:ac:1e:00:fe'],
      ],
      BOOT_MS,
    );
    const [toStart, toPrompt] = r.stdout.trim().split(' ').map(Number);
    if (r.exitCode !== 0 || !toPrompt) throw new Error(`the direct boot failed: ${r.stderr}${r.stdout}`);
    direct.push(toPrompt);
    directStart.push(toStart ?? 0);

    ready.push(await timedOk(mac, ['run', '-b', '--wait', '--name', `${name}-w`]));
    await mac.fcm(['microvm', 'rm', '-f', `${name}-w`]);

    created.push(await timedOk(mac, ['run', '-b', '--name', `${name}-b`]));
    await mac.fcm(['microvm', 'rm', '-f', `${name}-b`]);
  }
  printTable(`boot on real aarch64 guests, median of ${N_BOOT} (emulated: compare ratios only)`, [
    {
      figure: 'run → prompt: fc-macos vs the same Firecracker calls direct in the VM',
      'fc-macos': ms(median(viaFcm)),
      direct: ms(median(direct)),
      ratio: ratio(median(viaFcm), median(direct)),
      goal: '≤ 1.05x',
    },
    {
      figure:
        'create → running: run -b (the CLI on the Mac to its answer) vs the direct calls to InstanceStart',
      'fc-macos': ms(median(created)),
      direct: ms(median(directStart)),
      ratio: ratio(median(created), median(directStart)),
      goal: '≤ 1.10x',
    },
    {
      figure: 'boot → ready (run -b --wait) vs boot → prompt (run, attached)',
      ready: ms(median(ready)),
      prompt: ms(median(viaFcm)),
      ratio: ratio(median(ready), median(viaFcm)),
      goal: 'near 1x (ready soon after the prompt)',
    },
  ]);
}

async function guestAgent(mac: EmulatedMac): Promise<void> {
  const name = 'bench-ga';
  await timedOk(mac, ['run', '-b', '--wait', '--name', name]);
  try {
    const execs: number[] = [];
    const typed: number[] = [];
    for (let i = 0; i < N_EXEC; i++) {
      execs.push(await timedOk(mac, ['exec', name, '--', 'true'], 5 * 60_000));
      const t0 = now();
      await typeInConsole(mac, name, `true; echo done-$((${i}+1000))\r`, new RegExp(`done-${i + 1000}`));
      typed.push(now() - t0);
    }
    const data = randomBytes(10 * 1024 * 1024);
    const local = join(mac.dir, 'bench-10m.bin');
    writeFileSync(local, data);
    const cpIn = await timedOk(mac, ['cp', local, `${name}:/tmp/in.bin`], 10 * 60_000);
    const cpOut = await timedOk(mac, ['cp', `${name}:/tmp/in.bin`, join(mac.dir, 'out.bin')], 10 * 60_000);
    const catIn = await timedOk(
      mac,
      ['exec', '-i', name, '--', 'sh', '-c', 'cat > /tmp/cat.bin'],
      10 * 60_000,
      data,
    );
    const mibs = (t: number) => `${(10 / (t / 1000)).toFixed(1)} MiB/s`;

    const t0 = now();
    const stop = await mac.fcm(['microvm', 'stop', name]);
    const stopMs = now() - t0;
    const how = /\(([^)]*)\)/.exec(stop.stdout)?.[1] ?? stop.stdout.trim();
    printTable('the guest agent on real aarch64 guests (emulated: compare ratios only)', [
      {
        figure: `exec NAME -- true vs typing it on the console, median of ${N_EXEC}, CLI start included`,
        exec: ms(median(execs)),
        console: ms(median(typed)),
        ratio: ratio(median(execs), median(typed)),
        goal: '≤ 1x',
      },
      {
        figure: 'cp 10 MiB in / out vs the same bytes through exec -i cat',
        exec: `${mibs(cpIn)} in, ${mibs(cpOut)} out`,
        console: mibs(catIn),
        ratio: ratio(catIn, cpIn),
        goal: 'near 1x',
      },
      {
        figure: `microvm stop (${how}) vs 10 s wait + kill before the guest agent`,
        exec: ms(stopMs),
        console: '10000 ms',
        ratio: ratio(stopMs, 10_000),
        goal: '< 2 s (0.2x)',
      },
    ]);
  } finally {
    await mac.fcm(['microvm', 'rm', '-f', name]);
  }
}

/** From starting COMMANDS (run in order) until the console of NAME answers a typed command. */
async function untilConsoleAnswers(mac: EmulatedMac, commands: string[][], name: string): Promise<number> {
  const t0 = now();
  for (const c of commands) await timedOk(mac, c);
  return inTerminal(mac, ['microvm', 'shell', name], async (term) => {
    await term.waitFor(/\S/, BOOT_MS);
    // Typed again every second until the answer: a guest still booting has no shell to read it yet.
    for (let i = 0; ; i++) {
      const from = term.text().length;
      term.write(`echo answer-$((${i}+2000))\r`);
      try {
        await term.waitFor(new RegExp(`answer-${i + 2000}`), 1000, from);
        break;
      } catch (err) {
        if (now() - t0 > BOOT_MS) throw err;
      }
    }
    return now() - t0;
  });
}

async function snapshotLoad(mac: EmulatedMac): Promise<void> {
  const source = 'bench-snap-src';
  const paths = ['--snapshot-path', '/var/tmp/bench-snap.state', '--mem-path', '/var/tmp/bench-snap.mem'];
  await timedOk(mac, ['run', '-b', '--wait', '--name', source]);
  let sourceUp = true;
  const cold: number[] = [];
  const loaded: number[] = [];
  try {
    await timedOk(mac, ['actions', 'pause', source]);
    await timedOk(mac, ['snapshots', 'create', source, ...paths]);
    // The source gives its address up: the restored microVMs keep the guest's network.
    await mac.fcm(['microvm', 'rm', '-f', source]);
    sourceUp = false;
    for (let i = 0; i < N_BOOT; i++) {
      const coldName = `bench-cold-${i}`;
      cold.push(await untilConsoleAnswers(mac, [['run', '-b', '--name', coldName]], coldName));
      await mac.fcm(['microvm', 'rm', '-f', coldName]);
      const name = `bench-restored-${i}`;
      loaded.push(
        await untilConsoleAnswers(
          mac,
          [
            ['microvm', 'create', '--bare', '--name', name],
            ['snapshots', 'load', name, ...paths, '--resume'],
          ],
          name,
        ),
      );
      await mac.fcm(['microvm', 'rm', '-f', name]);
    }
  } finally {
    if (sourceUp) await mac.fcm(['microvm', 'rm', '-f', source]);
    await mac.tart([
      ...['exec', VM_NAME, 'sudo', 'rm', '-f', '/var/tmp/bench-snap.state', '/var/tmp/bench-snap.mem'],
      ...['/var/tmp/bench-snap.state.rootfs', '/var/tmp/bench-snap.state.fc-macos.json'],
    ]);
  }
  printTable(`snapshots on real aarch64 guests, median of ${N_BOOT} (emulated: compare ratios only)`, [
    {
      figure:
        'create --bare + snapshot load → the console answers vs run -b → the console answers (cold boot)',
      load: ms(median(loaded)),
      'cold boot': ms(median(cold)),
      ratio: ratio(median(loaded), median(cold)),
      goal: '≤ 0.2x',
    },
  ]);
}

await main();
