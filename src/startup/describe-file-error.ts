/**
 * Why a file could not be read, in words (`it does not exist`), from Node's error code;
 * the system's own message for codes not listed.
 */
export function describeFileError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}
