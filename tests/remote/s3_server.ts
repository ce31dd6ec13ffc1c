/**
 * A real S3-compatible server for the remote cache's tests: one that already
 * answers (PIPELINE_S3_ENDPOINT set, or the one `setup_s3.sh start` keeps in
 * $PIPELINE_S3_DIR / /tmp/pipeline-s3), else Debian's OpenStack Swift with
 * s3api started by `setup_s3.sh` in a temporary directory (installed with
 * apt-get where this is root), stopped when the tests end. Where neither is
 * possible the S3 tests are ignored and their names say why.
 *
 * PIPELINE_S3_TESTS=skip skips them on purpose; =require makes a missing
 * server an error instead of a skip (for CI, once it has started one).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";

const SETUP = fileURLToPath(new URL("./setup_s3.sh", import.meta.url));
const DEFAULT_DIR = Deno.env.get("PIPELINE_S3_DIR") ?? "/tmp/pipeline-s3";

/** A server the tests may use, with the variables a client needs. */
export interface TestS3 {
  env: Record<string, string>;
  client: S3Client;
  /** A fresh, empty bucket. */
  newBucket(): Promise<string>;
  /** Every key under a prefix (tests only: the engine never lists). */
  list(bucket: string, prefix: string): Promise<string[]>;
  get(bucket: string, key: string): Promise<Uint8Array>;
  /** Replaces an object (tests only, to damage it). */
  put(bucket: string, key: string, bytes: Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

async function run(args: string[]): Promise<{ code: number; err: string }> {
  try {
    const o = await new Deno.Command("bash", {
      args: [SETUP, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code: o.code, err: new TextDecoder().decode(o.stderr) };
  } catch (e) {
    return { code: -1, err: (e as Error).message };
  }
}

function readEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_0-9]+)=(.*)$/gm)) env[m[1]] = m[2];
  return env;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function makeServer(env: Record<string, string>, stop: () => Promise<void>): TestS3 {
  const client = new S3Client({
    endpoint: env.PIPELINE_S3_ENDPOINT,
    forcePathStyle: true,
    region: env.AWS_REGION ?? "us-east-1",
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    },
  });
  return {
    env,
    client,
    async newBucket() {
      const name = `pipeline-test-${crypto.randomUUID().slice(0, 8)}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    async list(bucket, prefix) {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    async get(bucket, key) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body!.transformToByteArray();
    },
    async put(bucket, key, bytes) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
    },
    async stop() {
      client.destroy();
      await stop();
    },
  };
}

/**
 * Starts (or finds) the test server; `{reason}` where none can run here.
 * Call at module load, for the tests' `ignore` and names.
 */
export async function startTestS3(): Promise<TestS3 | { reason: string }> {
  const mode = Deno.env.get("PIPELINE_S3_TESTS") ?? "auto";
  if (mode === "skip") return { reason: "PIPELINE_S3_TESTS=skip" };
  const given = Deno.env.get("PIPELINE_S3_ENDPOINT");
  if (given && Deno.env.get("AWS_ACCESS_KEY_ID") && (await answers(given))) {
    return makeServer(Deno.env.toObject(), async () => {});
  }
  if ((await run(["status", DEFAULT_DIR])).code === 0) {
    const env = readEnvFile(await Deno.readTextFile(join(DEFAULT_DIR, "env.sh")));
    return makeServer(env, async () => {});
  }
  const dir = await Deno.makeTempDir({ prefix: "pipeline-s3-" });
  const r = await run(["start", dir]);
  if (r.code !== 0) {
    await run(["stop", dir]);
    const reason = r.err.trim().split("\n").map((l) => l.replace(/^setup_s3: /, "")).join("; ") ||
      `setup_s3.sh start exit ${r.code}`;
    if (mode === "require") {
      throw new Error(`PIPELINE_S3_TESTS=require, but no S3 server could start: ${reason}`);
    }
    return { reason };
  }
  const env = readEnvFile(await Deno.readTextFile(join(dir, "env.sh")));
  return makeServer(env, async () => {
    await run(["stop", dir]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  });
}

/** A test name that says why it is skipped when there is no server. */
export function s3TestName(name: string, s3: TestS3 | { reason: string }): string {
  return "reason" in s3 ? `${name} (SKIPPED: no S3 server: ${s3.reason})` : name;
}
