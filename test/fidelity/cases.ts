// The fidelity cases: request sequences sent alike to the real firecracker and to the double.
// One line per case where possible. $DIR is the target's own temp dir (it holds vmlinux, disk.img,
// initrd.img); answers are compared with $DIR put back.

/** [method, path, body?] or a raw request string to send as is. */
export type Step = [string, string, string?] | { raw: string };

export interface ApiCase {
  name: string;
  steps: Step[];
  /** The sequence ends the process: compare how it exited too. */
  exits?: boolean;
}

export interface ProcessCase {
  name: string;
  args: string[];
  /** Make the API socket path taken before starting. */
  socketTaken?: boolean;
  /** Send this signal once the API answers, then compare how it ended and what it left. */
  kill?: NodeJS.Signals;
}

const bootSource: Step = [
  'PUT',
  '/boot-source',
  '{"kernel_image_path": "$DIR/vmlinux", "boot_args": "console=ttyS0 reboot=k panic=1"}',
];
const start: Step = ['PUT', '/actions', '{"action_type": "InstanceStart"}'];
const started: Step[] = [bootSource, start];
const paused: Step[] = [...started, ['PATCH', '/vm', '{"state": "Paused"}']];
const rootDrive: Step = [
  'PUT',
  '/drives/rootfs',
  '{"drive_id": "rootfs", "path_on_host": "$DIR/disk.img", "is_root_device": true, "is_read_only": false}',
];
const eth0: Step = [
  'PUT',
  '/network-interfaces/eth0',
  '{"iface_id": "eth0", "host_dev_name": "$TAP0", "guest_mac": "AA:FC:00:00:00:01"}',
];
const mc = (body: string): Step => ['PUT', '/machine-config', body];
const get = (path: string): Step => ['GET', path];

export const apiCases: ApiCase[] = [
  // Reads on a fresh process.
  { name: 'GET / on a fresh process', steps: [get('/')] },
  { name: 'GET /version', steps: [get('/version')] },
  { name: 'GET /machine-config defaults', steps: [get('/machine-config')] },
  { name: 'GET /machine-config/ with a trailing slash', steps: [get('/machine-config/')] },
  { name: 'GET /vm/config on a fresh process', steps: [get('/vm/config')] },
  { name: 'GET /balloon without a balloon', steps: [get('/balloon')] },
  { name: 'GET /balloon/statistics before start', steps: [get('/balloon/statistics')] },
  { name: 'GET /balloon/<unknown>', steps: [get('/balloon/nope')] },
  { name: 'GET /mmds when empty', steps: [get('/mmds')] },
  { name: 'GET /vm without config', steps: [get('/vm')] },
  { name: 'GET with a body', steps: [['GET', '/', '{}']] },
  // Unknown paths and methods.
  { name: 'GET unknown path', steps: [get('/nope')] },
  { name: 'PUT unknown path', steps: [['PUT', '/nope', '{}']] },
  { name: 'PATCH unknown path', steps: [['PATCH', '/nope', '{}']] },
  { name: 'DELETE is not a supported method', steps: [['DELETE', '/machine-config']] },
  {
    name: 'POST is not a supported method',
    steps: [['POST', '/actions', '{"action_type": "InstanceStart"}']],
  },
  { name: 'PUT without a body', steps: [['PUT', '/machine-config']] },
  { name: 'PATCH without a body', steps: [['PATCH', '/machine-config']] },
  { name: 'PUT /snapshot without an operation', steps: [['PUT', '/snapshot', '{}']] },
  { name: 'PUT /snapshot/<unknown>', steps: [['PUT', '/snapshot/bogus', '{}']] },
  { name: 'PUT /mmds/<unknown>', steps: [['PUT', '/mmds/nope', '{}']] },
  // machine-config bodies.
  {
    name: 'machine-config: valid PUT then GET',
    steps: [
      mc('{"vcpu_count": 2, "mem_size_mib": 256, "smt": false, "track_dirty_pages": true}'),
      get('/machine-config'),
    ],
  },
  { name: 'machine-config: empty object', steps: [mc('{}')] },
  { name: 'machine-config: missing mem_size_mib', steps: [mc('{"vcpu_count": 2}')] },
  { name: 'machine-config: unknown field', steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "foo": 1}')] },
  { name: 'machine-config: string for an integer', steps: [mc('{"vcpu_count": "2", "mem_size_mib": 256}')] },
  { name: 'machine-config: negative vcpu_count', steps: [mc('{"vcpu_count": -1, "mem_size_mib": 256}')] },
  { name: 'machine-config: vcpu_count over u8', steps: [mc('{"vcpu_count": 300, "mem_size_mib": 256}')] },
  {
    name: 'machine-config: vcpu_count 0 and 33',
    steps: [mc('{"vcpu_count": 0, "mem_size_mib": 256}'), mc('{"vcpu_count": 33, "mem_size_mib": 256}')],
  },
  { name: 'machine-config: mem_size_mib 0', steps: [mc('{"vcpu_count": 2, "mem_size_mib": 0}')] },
  {
    name: 'machine-config: odd vcpus with smt',
    steps: [mc('{"vcpu_count": 3, "mem_size_mib": 256, "smt": true}')],
  },
  {
    name: 'machine-config: bad huge_pages enum',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "huge_pages": "1G"}')],
  },
  {
    name: 'machine-config: bad cpu_template enum',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "cpu_template": "Bogus"}')],
  },
  {
    name: 'machine-config: deprecated cpu_template',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "cpu_template": "T2"}'), get('/machine-config')],
  },
  {
    name: 'machine-config: boolean as string',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "smt": "yes"}')],
  },
  {
    name: 'machine-config: float and null',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256.5}'), mc('{"vcpu_count": null, "mem_size_mib": 256}')],
  },
  {
    name: 'machine-config: duplicate field',
    steps: [mc('{"vcpu_count": 2, "mem_size_mib": 256, "vcpu_count": 3}')],
  },
  {
    name: 'malformed JSON: truncated, not JSON, trailing',
    steps: [mc('{"vcpu_count": 2,'), mc('not json'), mc('{"vcpu_count": 2, "mem_size_mib": 256} x')],
  },
  {
    name: 'malformed JSON: multi-line position',
    steps: [mc('{\n  "vcpu_count": 2,\n  "mem_size_mib": true\n}')],
  },
  {
    name: 'malformed JSON: key not a string, trailing comma, whitespace only',
    steps: [mc('{vcpu_count: 1}'), mc('{"vcpu_count": 1, "mem_size_mib": 2,}'), mc('   ')],
  },
  {
    name: 'struct as array and as string',
    steps: [mc('[]'), mc('[2, 256]'), mc('"x"'), get('/machine-config')],
  },
  {
    name: 'PATCH machine-config: empty, valid, unknown field',
    steps: [
      ['PATCH', '/machine-config', '{}'],
      ['PATCH', '/machine-config', '{"mem_size_mib": 512}'],
      ['PATCH', '/machine-config', '{"mem_size_mib": 512, "x": 1}'],
      get('/machine-config'),
    ],
  },
  // boot-source.
  {
    name: 'boot-source: valid with initrd',
    steps: [
      [
        'PUT',
        '/boot-source',
        '{"kernel_image_path": "$DIR/vmlinux", "initrd_path": "$DIR/initrd.img", "boot_args": "console=ttyS0"}',
      ],
      get('/vm/config'),
    ],
  },
  {
    name: 'boot-source: kernel missing',
    steps: [['PUT', '/boot-source', '{"kernel_image_path": "$DIR/nope"}']],
  },
  {
    name: 'boot-source: initrd missing',
    steps: [['PUT', '/boot-source', '{"kernel_image_path": "$DIR/vmlinux", "initrd_path": "$DIR/nope"}']],
  },
  {
    name: 'boot-source: missing and unknown fields, wrong type',
    steps: [
      ['PUT', '/boot-source', '{"boot_args": "x"}'],
      ['PUT', '/boot-source', '{"kernel_image_path": "$DIR/vmlinux", "x": 1}'],
      ['PUT', '/boot-source', '{"kernel_image_path": 5}'],
    ],
  },
  // drives.
  {
    name: 'drives: root drive then GET /vm/config',
    steps: [
      rootDrive,
      [
        'PUT',
        '/drives/data',
        '{"drive_id": "data", "path_on_host": "$DIR/disk.img", "is_root_device": false, "cache_type": "Writeback", "io_engine": "Async", "rate_limiter": {"bandwidth": {"size": 1000, "refill_time": 100}}}',
      ],
      get('/vm/config'),
    ],
  },
  {
    name: 'drives: id mismatch, bad id, empty id',
    steps: [
      [
        'PUT',
        '/drives/rootfs',
        '{"drive_id": "other", "path_on_host": "$DIR/disk.img", "is_root_device": true}',
      ],
      [
        'PUT',
        '/drives/bad-id',
        '{"drive_id": "bad-id", "path_on_host": "$DIR/disk.img", "is_root_device": false}',
      ],
      ['PUT', '/drives', '{"drive_id": "x", "path_on_host": "$DIR/disk.img", "is_root_device": false}'],
    ],
  },
  {
    name: 'drives: missing file',
    steps: [
      ['PUT', '/drives/d2', '{"drive_id": "d2", "path_on_host": "$DIR/nope.img", "is_root_device": false}'],
    ],
  },
  {
    name: 'drives: missing is_root_device, no path',
    steps: [
      ['PUT', '/drives/d2', '{"drive_id": "d2", "path_on_host": "$DIR/disk.img"}'],
      ['PUT', '/drives/d3', '{"drive_id": "d3", "is_root_device": false}'],
    ],
  },
  {
    name: 'drives: second root device',
    steps: [
      rootDrive,
      ['PUT', '/drives/d2', '{"drive_id": "d2", "path_on_host": "$DIR/disk.img", "is_root_device": true}'],
    ],
  },
  {
    name: 'drives: bad cache_type, bad rate limiter',
    steps: [
      [
        'PUT',
        '/drives/d2',
        '{"drive_id": "d2", "path_on_host": "$DIR/disk.img", "is_root_device": false, "cache_type": "Bogus"}',
      ],
      [
        'PUT',
        '/drives/d2',
        '{"drive_id": "d2", "path_on_host": "$DIR/disk.img", "is_root_device": false, "rate_limiter": {"bandwidth": {"size": 1}}}',
      ],
      [
        'PUT',
        '/drives/d2',
        '{"drive_id": "d2", "path_on_host": "$DIR/disk.img", "is_root_device": false, "rate_limiter": {"bw": {}}}',
      ],
    ],
  },
  {
    name: 'drives: PATCH before start',
    steps: [
      rootDrive,
      ['PATCH', '/drives/rootfs', '{"drive_id": "rootfs", "path_on_host": "$DIR/disk.img"}'],
    ],
  },
  // network interfaces.
  { name: 'network: valid then GET /vm/config', steps: [eth0, get('/vm/config')] },
  {
    name: 'network: id mismatch, bad mac, missing host_dev_name',
    steps: [
      ['PUT', '/network-interfaces/eth0', '{"iface_id": "eth1", "host_dev_name": "$TAP0"}'],
      [
        'PUT',
        '/network-interfaces/eth1',
        '{"iface_id": "eth1", "host_dev_name": "$TAP1", "guest_mac": "zz"}',
      ],
      ['PUT', '/network-interfaces/eth1', '{"iface_id": "eth1"}'],
    ],
  },
  {
    name: 'network: mac in use, bad tap name',
    steps: [
      eth0,
      [
        'PUT',
        '/network-interfaces/eth1',
        '{"iface_id": "eth1", "host_dev_name": "$TAP1", "guest_mac": "AA:FC:00:00:00:01"}',
      ],
      [
        'PUT',
        '/network-interfaces/eth2',
        '{"iface_id": "eth2", "host_dev_name": "this-name-is-way-too-long"}',
      ],
    ],
  },
  {
    name: 'network: unknown field from a newer spec (mtu)',
    steps: [
      ['PUT', '/network-interfaces/eth0', '{"iface_id": "eth0", "host_dev_name": "$TAP0", "mtu": 1500}'],
    ],
  },
  {
    name: 'network: PATCH before start',
    steps: [['PATCH', '/network-interfaces/eth0', '{"iface_id": "eth0"}']],
  },
  // vsock, entropy, balloon, logger, metrics, serial, mmds.
  {
    name: 'vsock: valid, deprecated id, wrong type, missing cid',
    steps: [
      ['PUT', '/vsock', '{"guest_cid": 3, "uds_path": "$DIR/v.sock"}'],
      ['PUT', '/vsock', '{"vsock_id": "v", "guest_cid": 3, "uds_path": "$DIR/v.sock"}'],
      ['PUT', '/vsock', '{"guest_cid": "3", "uds_path": "$DIR/v.sock"}'],
      ['PUT', '/vsock', '{"uds_path": "$DIR/v.sock"}'],
      get('/vm/config'),
    ],
  },
  {
    name: 'entropy: empty, rate limited, unknown field',
    steps: [
      ['PUT', '/entropy', '{}'],
      ['PUT', '/entropy', '{"rate_limiter": {"ops": {"size": 10, "refill_time": 10}}}'],
      ['PUT', '/entropy', '{"x": 1}'],
      get('/vm/config'),
    ],
  },
  {
    name: 'balloon: valid, too large, missing field',
    steps: [
      ['PUT', '/balloon', '{"amount_mib": 64, "deflate_on_oom": true, "stats_polling_interval_s": 1}'],
      ['PUT', '/balloon', '{"amount_mib": 1000, "deflate_on_oom": true}'],
      ['PUT', '/balloon', '{"amount_mib": 64}'],
      get('/balloon'),
    ],
  },
  {
    name: 'balloon: PATCH before start',
    steps: [
      ['PUT', '/balloon', '{"amount_mib": 16, "deflate_on_oom": false}'],
      ['PATCH', '/balloon', '{"amount_mib": 8}'],
      ['PATCH', '/balloon/statistics', '{"stats_polling_interval_s": 2}'],
    ],
  },
  {
    name: 'balloon: machine-config below the balloon',
    steps: [
      ['PUT', '/balloon', '{"amount_mib": 100, "deflate_on_oom": false}'],
      mc('{"vcpu_count": 1, "mem_size_mib": 64}'),
    ],
  },
  {
    name: 'logger: level, bad level, bad path, file',
    steps: [
      ['PUT', '/logger', '{"level": "Warning"}'],
      ['PUT', '/logger', '{"level": "Loud"}'],
      ['PUT', '/logger', '{"log_path": "$DIR/no/such/dir/log"}'],
      [
        'PUT',
        '/logger',
        '{"log_path": "$DIR/fc.log", "level": "Warning", "show_level": true, "show_log_origin": true}',
      ],
    ],
  },
  {
    name: 'metrics: bad path, valid, twice, missing field',
    steps: [
      ['PUT', '/metrics', '{"metrics_path": "$DIR/no/such/dir/m"}'],
      ['PUT', '/metrics', '{"metrics_path": "$DIR/metrics.json"}'],
      ['PUT', '/metrics', '{"metrics_path": "$DIR/metrics.json"}'],
      ['PUT', '/metrics', '{}'],
    ],
  },
  {
    name: 'serial: path, empty, unknown field',
    steps: [
      ['PUT', '/serial', '{"serial_out_path": "$DIR/serial.out"}'],
      ['PUT', '/serial', '{}'],
      ['PUT', '/serial', '{"x": 1}'],
    ],
  },
  {
    name: 'mmds: put, patch, get, non-object values',
    steps: [
      ['PUT', '/mmds', '{"b": 1, "a": {"z": 1, "y": 2}}'],
      ['PATCH', '/mmds', '{"a": {"c": 2}, "b": null}'],
      get('/mmds'),
      ['PUT', '/mmds', '[1]'],
      get('/mmds'),
    ],
  },
  { name: 'mmds: PATCH before any PUT', steps: [['PATCH', '/mmds', '{"a": 1}']] },
  {
    name: 'mmds config: empty list, unknown iface, bad enum, bad ip, valid',
    steps: [
      ['PUT', '/mmds/config', '{"network_interfaces": []}'],
      ['PUT', '/mmds/config', '{"network_interfaces": ["nope"]}'],
      eth0,
      ['PUT', '/mmds/config', '{"network_interfaces": ["eth0"], "version": "V3"}'],
      ['PUT', '/mmds/config', '{"network_interfaces": ["eth0"], "version": "V2", "ipv4_address": "1.2.3"}'],
      [
        'PUT',
        '/mmds/config',
        '{"network_interfaces": ["eth0"], "version": "V2", "ipv4_address": "169.254.169.250"}',
      ],
      ['PUT', '/mmds/config', '{"network_interfaces": ["eth0"]}'],
      get('/vm/config'),
    ],
  },
  // actions and ordering.
  {
    name: 'actions: bad enum, missing field',
    steps: [
      ['PUT', '/actions', '{"action_type": "Bogus"}'],
      ['PUT', '/actions', '{}'],
    ],
  },
  {
    name: 'actions before start: FlushMetrics, SendCtrlAltDel',
    steps: [
      ['PUT', '/actions', '{"action_type": "FlushMetrics"}'],
      ['PUT', '/actions', '{"action_type": "SendCtrlAltDel"}'],
    ],
  },
  { name: 'InstanceStart without a boot source', steps: [start] },
  {
    name: 'InstanceStart with a kernel that is not ELF',
    steps: [['PUT', '/boot-source', '{"kernel_image_path": "$DIR/disk.img"}'], start],
  },
  { name: 'InstanceStart then GET /', steps: [...started, get('/')] },
  { name: 'InstanceStart twice', steps: [...started, start] },
  {
    name: 'pre-boot resources rejected after start',
    steps: [
      ...started,
      bootSource,
      mc('{"vcpu_count": 1, "mem_size_mib": 128}'),
      rootDrive,
      eth0,
      ['PUT', '/vsock', '{"guest_cid": 3, "uds_path": "$DIR/v.sock"}'],
      ['PUT', '/balloon', '{"amount_mib": 1, "deflate_on_oom": true}'],
      ['PUT', '/entropy', '{}'],
      ['PUT', '/logger', '{"level": "Info"}'],
      ['PUT', '/mmds/config', '{"network_interfaces": ["eth0"]}'],
      ['PUT', '/metrics', '{"metrics_path": "$DIR/m.json"}'],
      ['PUT', '/serial', '{}'],
      ['PATCH', '/machine-config', '{"vcpu_count": 2}'],
    ],
  },
  { name: 'PATCH /vm before start', steps: [['PATCH', '/vm', '{"state": "Paused"}']] },
  { name: 'PATCH /vm bad state', steps: [['PATCH', '/vm', '{"state": "Stopped"}']] },
  {
    name: 'pause and resume',
    steps: [
      ...paused,
      get('/'),
      ['PATCH', '/vm', '{"state": "Paused"}'],
      ['PATCH', '/vm', '{"state": "Resumed"}'],
      get('/'),
      ['PATCH', '/vm', '{"state": "Resumed"}'],
    ],
  },
  {
    name: 'FlushMetrics after start',
    steps: [
      ['PUT', '/metrics', '{"metrics_path": "$DIR/metrics.json"}'],
      ...started,
      ['PUT', '/actions', '{"action_type": "FlushMetrics"}'],
    ],
  },
  {
    name: 'GET /vm/config after start',
    steps: [
      rootDrive,
      ['PUT', '/balloon', '{"amount_mib": 16, "deflate_on_oom": false}'],
      ...started,
      get('/vm/config'),
      get('/machine-config'),
    ],
  },
  {
    name: 'mmds after start',
    steps: [...started, ['PUT', '/mmds', '{"c": 3}'], ['PATCH', '/mmds', '{"d": {"e": 1}}'], get('/mmds')],
  },
  {
    name: 'drives: PATCH after start',
    steps: [
      rootDrive,
      ...started,
      ['PATCH', '/drives/rootfs', '{"drive_id": "rootfs", "path_on_host": "$DIR/disk.img"}'],
      ['PATCH', '/drives/rootfs', '{"drive_id": "rootfs", "path_on_host": "$DIR/nope"}'],
      ['PATCH', '/drives/nodrive', '{"drive_id": "nodrive"}'],
      ['PATCH', '/drives/rootfs', '{"drive_id": "other"}'],
    ],
  },
  {
    name: 'network: PATCH after start',
    steps: [
      eth0,
      ...started,
      [
        'PATCH',
        '/network-interfaces/eth0',
        '{"iface_id": "eth0", "rx_rate_limiter": {"ops": {"size": 5, "refill_time": 5}}}',
      ],
      ['PATCH', '/network-interfaces/eth9', '{"iface_id": "eth9"}'],
    ],
  },
  {
    name: 'balloon after start: stats disabled, no device',
    steps: [
      ['PUT', '/balloon', '{"amount_mib": 16, "deflate_on_oom": false}'],
      ...started,
      get('/balloon/statistics'),
      ['PATCH', '/balloon/statistics', '{"stats_polling_interval_s": 1}'],
      get('/balloon'),
    ],
  },
  {
    name: 'balloon after start without a balloon',
    steps: [...started, get('/balloon'), get('/balloon/statistics')],
  },
  {
    name: 'balloon after start: PATCH amount (needs the guest driver)',
    steps: [
      ['PUT', '/balloon', '{"amount_mib": 16, "deflate_on_oom": false, "stats_polling_interval_s": 1}'],
      ...started,
      ['PATCH', '/balloon', '{"amount_mib": 8}'],
      get('/balloon/statistics'),
    ],
  },
  {
    name: 'snapshot create before start',
    steps: [['PUT', '/snapshot/create', '{"snapshot_path": "$DIR/snap", "mem_file_path": "$DIR/mem"}']],
  },
  {
    name: 'snapshot create while running',
    steps: [
      ...started,
      ['PUT', '/snapshot/create', '{"snapshot_path": "$DIR/snap", "mem_file_path": "$DIR/mem"}'],
    ],
  },
  {
    name: 'snapshot create when paused, bad dir',
    steps: [
      ...paused,
      ['PUT', '/snapshot/create', '{"snapshot_path": "$DIR/no/snap", "mem_file_path": "$DIR/mem"}'],
      [
        'PUT',
        '/snapshot/create',
        '{"snapshot_path": "$DIR/snap", "mem_file_path": "$DIR/mem", "snapshot_type": "Full"}',
      ],
    ],
  },
  {
    name: 'snapshot create: bad snapshot_type, missing field',
    steps: [
      ...paused,
      [
        'PUT',
        '/snapshot/create',
        '{"snapshot_path": "$DIR/snap", "mem_file_path": "$DIR/mem", "snapshot_type": "Half"}',
      ],
      ['PUT', '/snapshot/create', '{"snapshot_path": "$DIR/snap"}'],
    ],
  },
  {
    name: 'snapshot load: backend and file path rules',
    steps: [
      ['PUT', '/snapshot/load', '{"snapshot_path": "$DIR/snap"}'],
      [
        'PUT',
        '/snapshot/load',
        '{"snapshot_path": "$DIR/snap", "mem_file_path": "$DIR/mem", "mem_backend": {"backend_path": "$DIR/mem", "backend_type": "File"}}',
      ],
      [
        'PUT',
        '/snapshot/load',
        '{"snapshot_path": "$DIR/snap", "mem_backend": {"backend_path": "$DIR/mem", "backend_type": "Disk"}}',
      ],
    ],
  },
  {
    name: 'snapshot load on a configured process',
    steps: [
      mc('{"vcpu_count": 1, "mem_size_mib": 128}'),
      [
        'PUT',
        '/snapshot/load',
        '{"snapshot_path": "$DIR/snap", "mem_backend": {"backend_path": "$DIR/mem", "backend_type": "File"}}',
      ],
      get('/'),
    ],
  },
  {
    name: 'snapshot load on a started process',
    steps: [
      ...started,
      [
        'PUT',
        '/snapshot/load',
        '{"snapshot_path": "$DIR/snap", "mem_backend": {"backend_path": "$DIR/mem", "backend_type": "File"}}',
      ],
    ],
  },
  {
    name: 'snapshot load of a missing file ends the process',
    steps: [
      [
        'PUT',
        '/snapshot/load',
        '{"snapshot_path": "$DIR/nope", "mem_backend": {"backend_path": "$DIR/mem", "backend_type": "File"}}',
      ],
    ],
    exits: true,
  },
  {
    name: 'SendCtrlAltDel after start',
    steps: [...started, ['PUT', '/actions', '{"action_type": "SendCtrlAltDel"}']],
  },
  // Wire details.
  {
    name: 'two requests on one connection',
    steps: [{ raw: 'GET /version HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n' }],
  },
];

export const processCases: ProcessCase[] = [
  { name: 'unknown argument', args: ['--api-sock', '$DIR/fc.sock', '--bogus'] },
  { name: 'argument without its value', args: ['--api-sock'] },
  {
    name: 'bad --id characters',
    args: ['--api-sock', '$DIR/fc.sock', '--id', 'bad id!', '--level', 'Warning'],
  },
  { name: 'too long --id', args: ['--api-sock', '$DIR/fc.sock', '--id', 'a'.repeat(70)] },
  { name: 'bad --level', args: ['--api-sock', '$DIR/fc.sock', '--id', 'x', '--level', 'Nope'] },
  {
    name: 'API socket path already taken',
    args: ['--api-sock', '$DIR/fc.sock', '--id', 'x', '--level', 'Warning'],
    socketTaken: true,
  },
  { name: '--version', args: ['--version'] },
  {
    name: 'SIGTERM ends it and leaves the socket file',
    args: ['--api-sock', '$DIR/fc.sock', '--id', 'x', '--level', 'Info'],
    kill: 'SIGTERM',
  },
  {
    name: 'SIGKILL ends it and leaves the socket file',
    args: ['--api-sock', '$DIR/fc.sock', '--id', 'x', '--level', 'Warning'],
    kill: 'SIGKILL',
  },
];
