/** Polls `condition` until it holds or `timeoutMs` passes: waiting for an outcome, never a fixed sleep. */
export async function until(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
