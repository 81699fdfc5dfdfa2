/**
 * Runs tasks that share a key one at a time (within this process), in arrival order. Used for `init`
 * steps that share a provider plugin cache: Terraform documents the cache as not safe for concurrent
 * installs.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // The last one out removes the entry so the map does not grow with every cache dir ever used.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
