/**
 * PGlite would start with PostgreSQL's 128MB of shared buffers, and they live in the process's WebAssembly memory:
 * about 90–110 MB more resident memory than 32MB costs, for the whole life of the process. The embedded database
 * reads its files through the operating system's page cache, so a miss in the smaller pool is a copy, not a disk
 * read (decision 011 has the measurements). Its own module so the configuration can name it without loading the
 * database drivers.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 32;
