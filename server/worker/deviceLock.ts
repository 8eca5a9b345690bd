// One GPU job at a time per device within a process: workers sharing a device take turns. Across processes,
// run one `aiprod worker` per device (WORKER_DEVICE / --device), as the README says.
const tails = new Map<string, Promise<void>>();

/** Runs fn when the device is free; the next caller waits for it to finish. */
export async function withDevice<T>(device: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(device) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  tails.set(device, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(device) === tail) tails.delete(device);
  }
}
