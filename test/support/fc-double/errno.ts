// Rust's io::Error Display for the errno values a file open can fail with.
const TEXT: Record<string, [string, number]> = {
  ENOENT: ['No such file or directory', 2],
  EACCES: ['Permission denied', 13],
  EISDIR: ['Is a directory', 21],
  ENOTDIR: ['Not a directory', 20],
  EEXIST: ['File exists', 17],
  EADDRINUSE: ['Address already in use', 98],
  ELOOP: ['Too many levels of symbolic links', 40],
  ENAMETOOLONG: ['File name too long', 36],
  EROFS: ['Read-only file system', 30],
};

export function ioErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const known = TEXT[code];
  if (known) return `${known[0]} (os error ${known[1]})`;
  return err instanceof Error ? err.message : String(err);
}
