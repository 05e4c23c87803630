// Routes a request like Firecracker's parsed_request.rs: method + first path token, then the
// body's Rust type, then the action on the VMM. Errors keep Firecracker's texts and log forms.
import { DESERIALIZE, Fault, notModelled } from './faults.ts';
import type { HttpRequest, HttpResponse } from './http.ts';
import { SerdeError } from './json-reader.ts';
import { logger } from './logger.ts';
import { type BodyName, bodyTypes } from './models.ts';
import { fromSlice, type Json } from './serde.ts';
import type { Vmm } from './vmm.ts';

type Body = Record<string, Json>;

function parse(name: BodyName, body: Buffer): Body {
  try {
    return fromSlice(body, bodyTypes[name]) as Body;
  } catch (e) {
    if (!(e instanceof SerdeError)) throw e;
    throw serdeFault(e);
  }
}

function serdeFault(e: SerdeError): Fault {
  const debug = e.hasPosition
    ? `SerdeJson(Error(${JSON.stringify(e.detail)}, line: ${e.line}, column: ${e.column}))`
    : `SerdeJson(Error(${JSON.stringify(e.detail)}, line: 0, column: 0))`;
  return new Fault(`${DESERIALIZE}: ${e.toString()}.`, debug);
}

function generic(message: string): Fault {
  return new Fault(message, `Generic(BadRequest, ${JSON.stringify(message)})`);
}

function checkedId(id: string | undefined): string {
  if (id === undefined || id === '') throw new Fault('The ID cannot be empty.', 'EmptyID');
  if (!/^[\p{L}\p{N}_]+$/u.test(id))
    throw new Fault(
      'API Resource IDs can only contain alphanumeric characters and underscores.',
      'InvalidID',
    );
  return id;
}

const METHOD_NAME: Record<string, string> = { GET: 'Get', PUT: 'Put', PATCH: 'Patch' };

function invalidPath(method: string, path: string): Fault {
  return new Fault(
    `Invalid request method and/or path: ${method} ${path}.`,
    `InvalidPathMethod(${JSON.stringify(path)}, ${METHOD_NAME[method]})`,
  );
}

export type Action = () => HttpResponse | Promise<HttpResponse>;

/** Set while routing when the request used a deprecated field or form: adds `Deprecation: true`. */
let deprecated = false;

function deprecate(message: string): void {
  deprecated = true;
  logger.warn('fc_api', message);
}

/** Turns a request into the VMM action to run, or throws the parse-stage Fault. */
function route(vmm: Vmm, req: HttpRequest): Action {
  const { method, body } = req;
  const tokens = req.path.replace(/^\/+/, '').split('/');
  if (tokens.length > 1 && tokens[tokens.length - 1] === '') tokens.pop();
  const [path = '', second] = tokens;
  const needBody = (): Buffer => {
    if (body) return body;
    throw generic(method === 'PUT' ? 'Empty PUT request.' : 'Empty PATCH request.');
  };

  if (method === 'GET') {
    if (body) throw generic('GET request cannot have a body.');
    switch (path) {
      case '':
        return () => vmm.instanceInfo();
      case 'version':
        return () => vmm.version();
      case 'machine-config':
        return () => vmm.getMachineConfig();
      case 'mmds':
        return () => vmm.getMmds();
      case 'vm':
        if (second === 'config') return () => vmm.getFullConfig();
        break;
      case 'hotplug':
        if (second === 'memory') return () => vmm.postBootNotModelled('memory hotplug');
        break;
      case 'balloon':
        if (second === undefined) return () => vmm.getBalloon();
        if (second === 'statistics') return () => vmm.getBalloonStats();
        if (second === 'hinting') return () => vmm.postBootNotModelled('balloon free page hinting');
        throw generic(`Unrecognized GET request path \`${second}\`.`);
    }
    throw invalidPath(method, path);
  }

  if (method === 'PUT') {
    // Firecracker answers a bodiless PUT on any path, known or not, with this text.
    if (!body) throw generic('Empty PUT request.');
    switch (path) {
      case 'actions': {
        const b = parse('InstanceActionInfo', body);
        return () => vmm.action(String(b.action_type));
      }
      case 'balloon':
        return (
          (b) => () =>
            vmm.putBalloon(b)
        )(parse('Balloon', body));
      case 'boot-source':
        return (
          (b) => () =>
            vmm.putBootSource(b)
        )(parse('BootSource', body));
      case 'cpu-config':
        return () =>
          vmm.preBootOnly(() => {
            throw notModelled('custom CPU templates (PUT /cpu-config)');
          });
      case 'drives': {
        const id = checkedId(second);
        const b = parse('Drive', body);
        if (b.drive_id !== id) throw generic('The id from the path does not match the id from the body!');
        return () => vmm.putDrive(b);
      }
      case 'pmem':
        checkedId(second);
        return () =>
          vmm.preBootOnly(() => {
            throw notModelled('pmem devices (PUT /pmem)');
          });
      case 'logger':
        return (
          (b) => () =>
            vmm.putLogger(b)
        )(parse('Logger', body));
      case 'serial':
        return (
          (b) => () =>
            vmm.putSerial(b)
        )(parse('SerialDevice', body));
      case 'machine-config': {
        const b = parse('MachineConfiguration', body);
        if (b.cpu_template !== undefined && b.cpu_template !== null)
          deprecate('PUT /machine-config: cpu_template field is deprecated.');
        return () => vmm.putMachineConfig(b, true);
      }
      case 'metrics':
        return (
          (b) => () =>
            vmm.putMetrics(b)
        )(parse('Metrics', body));
      case 'mmds': {
        if (second === undefined) {
          const v = parse('MmdsContentsObject', body) as Json;
          return () => vmm.putMmds(v);
        }
        if (second === 'config') {
          const b = parse('MmdsConfig', body);
          if ((b.version ?? 'V1') === 'V1') deprecate('PUT /mmds/config: V1 is deprecated. Use V2 instead.');
          return () => vmm.putMmdsConfig(b);
        }
        throw generic(`Unrecognized PUT request path \`${second}\`.`);
      }
      case 'network-interfaces': {
        const id = checkedId(second);
        const b = parse('NetworkInterface', body);
        if (b.iface_id !== id)
          throw generic(
            `The id from the path [${id}] does not match the id from the body [${String(b.iface_id)}]!`,
          );
        return () => vmm.putNetwork(b);
      }
      case 'snapshot': {
        if (second === undefined) throw generic('Missing snapshot operation type.');
        if (second === 'create')
          return (
            (b) => () =>
              vmm.createSnapshot(b)
          )(parse('SnapshotCreateParams', body));
        if (second === 'load') {
          const b = parse('SnapshotLoadParams', body);
          const hasBackend = b.mem_backend !== undefined && b.mem_backend !== null;
          const hasFile = b.mem_file_path !== undefined && b.mem_file_path !== null;
          if (hasBackend && hasFile)
            throw serdeFault(
              new SerdeError(
                'too many fields: either `mem_backend` or `mem_file_path` exclusively is required',
              ),
            );
          if (!hasBackend && !hasFile)
            throw serdeFault(
              new SerdeError('missing field: either `mem_backend` or `mem_file_path` is required'),
            );
          if (hasFile || b.enable_diff_snapshots === true)
            deprecate('PUT /snapshot/load: mem_file_path and enable_diff_snapshots fields are deprecated.');
          return () => vmm.loadSnapshot(b);
        }
        throw invalidPath('PUT', `/snapshot/${second}`);
      }
      case 'vsock': {
        const b = parse('Vsock', body);
        if (b.vsock_id !== undefined && b.vsock_id !== null)
          deprecate('PUT /vsock: vsock_id field is deprecated.');
        return () => vmm.putVsock(b);
      }
      case 'entropy':
        return (
          (b) => () =>
            vmm.putEntropy(b)
        )(parse('EntropyDevice', body));
      case 'hotplug':
        if (second === 'memory')
          return () =>
            vmm.preBootOnly(() => {
              throw notModelled('memory hotplug');
            });
        break;
    }
    throw invalidPath(method, path);
  }

  // PATCH
  if (path === 'balloon') {
    if (second === 'hinting') return () => vmm.postBootNotModelled('balloon free page hinting');
    const b = needBody();
    if (second === 'statistics')
      return (
        (p) => () =>
          vmm.patchBalloonStats(p)
      )(parse('BalloonStatsUpdate', b));
    return (
      (p) => () =>
        vmm.patchBalloon(p)
    )(parse('BalloonUpdate', b));
  }
  if (!body) throw generic('Empty PATCH request.');
  switch (path) {
    case 'drives': {
      const id = checkedId(second);
      const b = parse('PartialDrive', body);
      if (b.drive_id !== id) throw generic('The id from the path does not match the id from the body!');
      return () => vmm.patchDrive(b);
    }
    case 'machine-config': {
      const b = parse('MachineConfigurationUpdate', body);
      if (Object.values(b).every((v) => v === null || v === undefined)) throw generic('Empty PATCH request.');
      if (b.cpu_template !== undefined && b.cpu_template !== null)
        deprecate('PATCH /machine-config: cpu_template field is deprecated.');
      return () => vmm.putMachineConfig(b, false);
    }
    case 'mmds': {
      const v = parse('MmdsContentsObject', body) as Json;
      return () => vmm.patchMmds(v);
    }
    case 'network-interfaces': {
      const id = checkedId(second);
      const b = parse('PartialNetworkInterface', body);
      if (b.iface_id !== id)
        throw generic(
          `The id from the path [${id}] does not match the id from the body [${String(b.iface_id)}]!`,
        );
      return () => vmm.patchNetwork(b);
    }
    case 'vm': {
      const b = parse('Vm', body);
      return () => (b.state === 'Paused' ? vmm.pause() : vmm.resume());
    }
    case 'hotplug':
      if (second === 'memory') return () => vmm.postBootNotModelled('memory hotplug');
      break;
  }
  throw invalidPath(method, path);
}

function describe(req: HttpRequest): string {
  const m = METHOD_NAME[req.method] ?? req.method;
  if (req.body === undefined || req.path === '/mmds') return `${m} request on ${JSON.stringify(req.path)}`;
  return `${m} request on ${JSON.stringify(req.path)} with body ${JSON.stringify(req.body.toString('utf8'))}`;
}

export async function handle(vmm: Vmm, req: HttpRequest): Promise<HttpResponse> {
  logger.info('fc_api', `The API server received a ${describe(req)}.`);
  deprecated = false;
  let action: Action;
  try {
    action = route(vmm, req);
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    logger.error('fc_api', e.logAs ?? e.faultMessage);
    return faultResponse(e);
  }
  const withDeprecation = deprecated;
  const res = await runAction(action);
  if (withDeprecation) res.headers = { ...res.headers, Deprecation: 'true' };
  return res;
}

async function runAction(action: Action): Promise<HttpResponse> {
  try {
    const res = await action();
    if (res.status === 204)
      logger.info('fc_api', 'The request was executed successfully. Status code: 204 No Content.');
    else logger.info('fc_api', 'The request was executed successfully. Status code: 200 OK.');
    return res;
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    logger.error('fc_api', `Received Error. Status code: 400 Bad Request. Message: ${e.faultMessage}`);
    return faultResponse(e);
  }
}

export function faultResponse(f: Fault): HttpResponse {
  return { status: f.status, body: JSON.stringify({ fault_message: f.faultMessage }) };
}
