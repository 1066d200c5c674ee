/** The real SQLite store in a temp directory, for master tests. */
import { openStore, type SqliteStore } from "../../src/master/store/sqlite_store.ts";

const RETENTION = { raw: 48 * 3_600_000, minute: 30 * 86_400_000, hour: 400 * 86_400_000 };

/** Opens a store in a fresh temp dir; `dispose` closes it and removes the dir. */
export async function openTempStore(): Promise<
  { store: SqliteStore; dir: string; dispose(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "gridmon_master_" });
  const store = openStore({ path: `${dir}/gridmon.db`, retention: RETENTION });
  return {
    store,
    dir,
    async dispose() {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
