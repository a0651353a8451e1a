/**
 * The PostgreSQL extensions every PGlite instance of Steward loads. A data directory in which an extension was
 * created cannot be opened without its files (its index's operators live in them), so every `new PGlite` in Steward,
 * its scripts and its tests passes these (db/search-index.ts creates pg_trgm).
 */
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

export const PGLITE_EXTENSIONS = { pg_trgm };
