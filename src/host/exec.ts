// Running commands on the Linux side: the shapes every provider's exec() uses. Apart from
// provider.ts so that the helpers built on exec (remote-files.ts, agent-service.ts) and the
// provider interface do not import each other.

export interface ExecOptions {
  /** Bytes sent to the command's stdin (Tart: `tart exec -i`), or a local file streamed there. */
  stdin?: string | Uint8Array | { file: string };
  /** Run as root (sudo inside the Tart VM; as-is locally when already root). */
  root?: boolean;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type ExecFn = (argv: string[], opts?: ExecOptions) => Promise<ExecResult>;
