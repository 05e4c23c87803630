// How the networking code touches the machine: commands run with execFile (argv, never a shell
// string) and /proc and /sys files. One interface so a test can run all of it inside a network
// namespace it owns (`ip netns exec NS …`) instead of the machine's own network.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { NetError } from './errors.ts';

export interface NetHost {
  /** Runs a command; resolves to stdout, rejects with a NetError carrying stderr. */
  run(cmd: string, args: readonly string[], input?: string): Promise<string>;
  read(path: string): Promise<string>;
  write(path: string, text: string): Promise<void>;
}

const FIXES: Record<string, string> = {
  ip: 'install iproute2 (apt-get install iproute2)',
  nft: 'install nftables (apt-get install nftables)',
};

function runFile(
  file: string,
  args: readonly string[],
  input: string | undefined,
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') {
        reject(
          new NetError(
            'net_capability_missing',
            `${what} is not installed on the Linux side: ${FIXES[what] ?? `install ${what}`}`,
            {
              command: what,
            },
          ),
        );
        return;
      }
      reject(
        new NetError(
          'net_command_failed',
          `${what} ${args.join(' ')} failed: ${String(stderr).trim() || e.message}`,
          {
            command: what,
            args,
            stderr: String(stderr).trim(),
          },
        ),
      );
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The machine the agent runs on. */
export const localHost: NetHost = {
  run: (cmd, args, input) => runFile(cmd, args, input, cmd),
  read: (path) => readFile(path, 'utf8'),
  write: (path, text) => writeFile(path, text),
};

/** Everything inside network namespace `ns` (tests; `ip netns exec` also remounts /sys for it). */
export function netnsHost(ns: string): NetHost {
  return {
    run: (cmd, args, input) => runFile('ip', ['netns', 'exec', ns, cmd, ...args], input, cmd),
    read: (path) => runFile('ip', ['netns', 'exec', ns, 'cat', path], undefined, 'cat'),
    write: async (path, text) => {
      await runFile('ip', ['netns', 'exec', ns, 'tee', path], text, 'tee');
    },
  };
}
