/**
 * Worker side of the hash pool: hashes the files it is sent.
 *
 * @module
 */

import { hashFile } from "./hash.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; path: string }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = async (e) => {
  const { id, path } = e.data;
  try {
    const d = await hashFile(path);
    scope.postMessage({ id, hash: d.hash, size: d.size });
  } catch (err) {
    scope.postMessage({ id, error: (err as Error).message });
  }
};
