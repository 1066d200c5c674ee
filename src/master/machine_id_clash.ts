/**
 * Cloned hosts: two machines reporting one machine id (a VM image or container copied with its
 * /etc/machine-id). A second connection for a held id is a clash, not the same worker
 * reconnecting, when it comes from another host (hostname or address) while the holder still
 * streams; the newcomer is refused with 4009 and told how to give itself an id of its own.
 */
import type { IngestSession } from "./ingest_hub.ts";

/** What the refused worker reads in its close reason (WebSocket reasons stop at 123 bytes). */
const REASON = "machine id in use by another host; give this one its own --machine-id";

/**
 * The refusal for `newcomer` when `holder` is another host using its id; null when it looks
 * like the same host (a worker reconnecting before its old connection timed out).
 */
export function machineIdClash(
  holder: IngestSession | undefined,
  newcomer: IngestSession,
): { reason: string; log: string } | null {
  if (!holder?.hostname || !newcomer.hostname) return null;
  if (holder.hostname === newcomer.hostname && holder.peer === newcomer.peer) return null;
  const id = JSON.stringify(newcomer.machineId);
  return {
    reason: REASON,
    log: `worker "${newcomer.hostname}" from ${newcomer.peer} uses machine id ${id}, which ` +
      `"${holder.hostname}" (${holder.peer}) is connected with: refused (4009). A cloned VM or ` +
      `container? Start that worker with --machine-id (or GRIDMON_MACHINE_ID) set to an id of ` +
      `its own, e.g. the output of uuidgen.`,
  };
}
