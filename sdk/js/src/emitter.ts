/** A small Node-style event emitter (spec §1.2: `on/once/off/removeAllListeners/...`). */

export type Listener = (...args: any[]) => void;

interface Entry {
  listener: Listener;
  once: boolean;
}

export class EventEmitter {
  private readonly events_ = new Map<string, Entry[]>();

  on(event: string, listener: Listener): this {
    return this.add_(event, listener, false);
  }

  addListener(event: string, listener: Listener): this {
    return this.add_(event, listener, false);
  }

  once(event: string, listener: Listener): this {
    return this.add_(event, listener, true);
  }

  /** Remove the most recently added registration of `listener` (Node's order). */
  off(event: string, listener: Listener): this {
    const entries = this.events_.get(event);
    if (entries) {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].listener === listener) {
          entries.splice(i, 1);
          break;
        }
      }
      if (entries.length === 0) this.events_.delete(event);
    }
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.events_.clear();
    else this.events_.delete(event);
    return this;
  }

  listeners(event: string): Listener[] {
    return (this.events_.get(event) ?? []).map((e) => e.listener);
  }

  /** The listeners of `event` as registered (this emitter wraps none, so as `listeners`). */
  rawListeners(event: string): Listener[] {
    return this.listeners(event);
  }

  listenerCount(event: string): number {
    return this.events_.get(event)?.length ?? 0;
  }

  /** Call the listeners of `event` in order; returns whether there were any. */
  emit(event: string, ...args: unknown[]): boolean {
    const entries = this.events_.get(event);
    if (!entries || entries.length === 0) return false;
    for (const entry of [...entries]) {
      if (entry.once) this.remove_(event, entry);
      entry.listener(...args);
    }
    return true;
  }

  private remove_(event: string, entry: Entry): void {
    const entries = this.events_.get(event);
    const i = entries ? entries.indexOf(entry) : -1;
    if (entries && i >= 0) {
      entries.splice(i, 1);
      if (entries.length === 0) this.events_.delete(event);
    }
  }

  private add_(event: string, listener: Listener, once: boolean): this {
    if (typeof listener !== "function") throw new TypeError("listener must be a function");
    const entries = this.events_.get(event);
    if (entries) entries.push({ listener, once });
    else this.events_.set(event, [{ listener, once }]);
    return this;
  }
}

/**
 * Emit an SDK event. A listener that throws must not break the SDK's own bookkeeping (a
 * login half done, an ack not sent): its error is rethrown on its own, to reach the console.
 */
export function fire(target: EventEmitter, event: string, args: unknown[]): void {
  try {
    target.emit(event, ...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}
