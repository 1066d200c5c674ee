/**
 * Admission of worker connections that have not said hello yet. Idle sockets must not lock the
 * fleet out: one address may hold only `maxPerAddress` of them, and when the whole table is full
 * a newcomer makes room by closing the oldest waiting connection of the address that holds the
 * most, provided that address holds more than the newcomer's own. A real worker sends its hello
 * right after the upgrade, so it holds at most a slot or two and always gets in, however many
 * idle sockets a few addresses keep open; a flooding address only ever pushes out its own.
 */

export interface HandshakeGateOptions {
  /** Connections waiting for their hello, in all (default 1024). */
  maxPending?: number;
  /** Of them from one address (default 16); addresses for which `uncapped` is true are exempt. */
  maxPerAddress?: number;
  /**
   * Addresses without a cap of their own (default: loopback, the master's own host, where the
   * fleet simulator and benchmarks open a thousand connections at once).
   */
  uncapped?: (address: string) => boolean;
}

/** A connection waiting for its hello. */
export interface PendingHandshake {
  readonly address: string;
  /** Closes the connection to make room (its close path then settles its ticket). */
  evict(): void;
}

/** One admitted connection; `settle` once its hello was handled or it closed. */
export interface HandshakeTicket {
  settle(): void;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

export class HandshakeGate {
  readonly #maxPending: number;
  readonly #maxPerAddress: number;
  readonly #uncapped: (address: string) => boolean;
  /** Waiting connections per address, oldest first. */
  readonly #byAddress = new Map<string, PendingHandshake[]>();
  #pending = 0;
  #evicted = 0;

  constructor(options: HandshakeGateOptions = {}) {
    this.#maxPending = options.maxPending ?? 1024;
    this.#maxPerAddress = options.maxPerAddress ?? 16;
    this.#uncapped = options.uncapped ?? isLoopback;
  }

  /** Connections waiting for their hello. */
  get pending(): number {
    return this.#pending;
  }

  /** Waiting connections closed to make room for others. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Admits `handshake` (making room if it may), or answers "busy". */
  admit(handshake: PendingHandshake): HandshakeTicket | "busy" {
    const own = this.#byAddress.get(handshake.address)?.length ?? 0;
    if (!this.#uncapped(handshake.address) && own >= this.#maxPerAddress) return "busy";
    if (this.#pending >= this.#maxPending) {
      const victim = this.#oldestOfLargestHolder();
      if (!victim || this.#byAddress.get(victim.address)!.length <= own) return "busy";
      this.#remove(victim);
      this.#evicted++;
      victim.evict();
    }
    const list = this.#byAddress.get(handshake.address) ?? [];
    list.push(handshake);
    this.#byAddress.set(handshake.address, list);
    this.#pending++;
    let settled = false;
    return {
      settle: () => {
        if (settled) return;
        settled = true;
        this.#remove(handshake);
      },
    };
  }

  #oldestOfLargestHolder(): PendingHandshake | undefined {
    let best: PendingHandshake[] | undefined;
    for (const list of this.#byAddress.values()) {
      if (!best || list.length > best.length) best = list;
    }
    return best?.[0];
  }

  #remove(handshake: PendingHandshake): void {
    const list = this.#byAddress.get(handshake.address);
    const index = list?.indexOf(handshake) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.#byAddress.delete(handshake.address);
    this.#pending--;
  }
}
