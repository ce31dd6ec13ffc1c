/**
 * A remote cache in S3-compatible object storage (AWS S3, Ceph radosgw,
 * OpenStack Swift's s3api, ...), through `@aws-sdk/client-s3`. Credentials
 * come only from the SDK's own chain (environment, `~/.aws/credentials`,
 * `AWS_PROFILE`, instance roles); they are never read from the pipeline file
 * and never printed.
 *
 * Uploads never replace an object: a conditional put (`If-None-Match: *`)
 * where the server supports it; where it answers 501 (Swift's s3api does),
 * an existence check before the put, remembered for the rest of the command.
 *
 * @module
 */

import { type PutResult, type RemoteBackend, RemoteError } from "./backend.ts";

type S3Module = typeof import("@aws-sdk/client-s3");
type S3Client = InstanceType<S3Module["S3Client"]>;

/** Where an S3 remote lives. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash ("" for the bucket's root). */
  prefix: string;
  endpoint?: string;
  region?: string;
}

/** Parses `s3://bucket/prefix`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !m[1]) throw new RemoteError(`'${url}' is not an S3 URL (s3://bucket/prefix)`);
  return { bucket: m[1], prefix: m[2].replace(/^\/+|\/+$/g, "") };
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A remote cache in one bucket, under one prefix. */
export class S3Backend implements RemoteBackend {
  #client?: S3Client;
  #sdk?: S3Module;
  /** Learnt from a 501: this server ignores or refuses If-None-Match on PUT. */
  #noConditionalPut = false;

  constructor(readonly location: S3Location) {}

  get description(): string {
    const { bucket, prefix, endpoint } = this.location;
    return `s3://${bucket}/${prefix}${endpoint ? ` at ${endpoint}` : ""}`;
  }

  #key(name: string): string {
    return this.location.prefix ? `${this.location.prefix}/${name}` : name;
  }

  async #open(): Promise<{ sdk: S3Module; client: S3Client }> {
    if (!this.#sdk || !this.#client) {
      // Loaded on first use: commands without an S3 remote never pay for the SDK.
      this.#sdk = await import("@aws-sdk/client-s3");
      const endpoint = this.location.endpoint;
      this.#client = new this.#sdk.S3Client({
        region: this.location.region ?? Deno.env.get("AWS_REGION") ??
          Deno.env.get("AWS_DEFAULT_REGION") ?? "us-east-1",
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        maxAttempts: 3,
      });
    }
    return { sdk: this.#sdk, client: this.#client };
  }

  /** One line for an SDK failure, without credentials. */
  #fail(e: unknown, what: string): RemoteError {
    const err = e as SdkError;
    const status = err?.$metadata?.httpStatusCode;
    const name = err?.name ?? "Error";
    const where = this.description;
    if (name === "CredentialsProviderError" || /credential/i.test(err?.message ?? "")) {
      return new RemoteError(
        `${where}: no S3 credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials)`,
      );
    }
    if (
      status === 403 || name === "AccessDenied" || name === "SignatureDoesNotMatch" ||
      name === "InvalidAccessKeyId"
    ) {
      return new RemoteError(
        `${where}: access denied while ${what} (HTTP 403${
          name !== "Unknown" && name !== "403" ? ` ${name}` : ""
        }); check the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      );
    }
    if (name === "NoSuchBucket") {
      return new RemoteError(`${where}: bucket '${this.location.bucket}' does not exist`);
    }
    const code = err?.code ?? "";
    if (!status || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(code + name)) {
      return new RemoteError(
        `cannot reach ${where} while ${what}: ${(err?.message ?? String(e)).split("\n")[0]}`,
      );
    }
    return new RemoteError(
      `${where}: ${what} failed (HTTP ${status} ${name}: ${(err?.message ?? "").split("\n")[0]})`,
    );
  }

  async check(opts: { forWrite: boolean }): Promise<void> {
    const { sdk, client } = await this.#open();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.location.bucket }));
    } catch (e) {
      const err = e as SdkError;
      if (err?.$metadata?.httpStatusCode === 404) {
        throw new RemoteError(
          `${this.description}: bucket '${this.location.bucket}' does not exist${
            opts.forWrite ? " (create it first)" : ""
          }`,
        );
      }
      throw this.#fail(e, "checking the bucket");
    }
  }

  async size(name: string): Promise<number | null> {
    const { sdk, client } = await this.#open();
    try {
      const r = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.location.bucket, Key: this.#key(name) }),
      );
      return r.ContentLength ?? 0;
    } catch (e) {
      const err = e as SdkError;
      if (err?.$metadata?.httpStatusCode === 404) return null;
      throw this.#fail(e, `checking ${name}`);
    }
  }

  async download(name: string, dest: string): Promise<boolean> {
    const { sdk, client } = await this.#open();
    let body;
    try {
      const r = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.#key(name) }),
      );
      body = r.Body;
    } catch (e) {
      const err = e as SdkError;
      if (err?.$metadata?.httpStatusCode === 404 && err.name !== "NoSuchBucket") return false;
      throw this.#fail(e, `downloading ${name}`);
    }
    if (!body) return false;
    const f = await Deno.open(dest, { write: true, createNew: true });
    try {
      await body.transformToWebStream().pipeTo(f.writable);
    } catch (e) {
      throw this.#fail(e, `downloading ${name}`);
    }
    return true;
  }

  async upload(name: string, bytes: Uint8Array): Promise<PutResult> {
    const { sdk, client } = await this.#open();
    const put = async (conditional: boolean) => {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.#key(name),
          Body: bytes,
          ContentLength: bytes.length,
          ...(conditional ? { IfNoneMatch: "*" } : {}),
        }),
      );
    };
    if (!this.#noConditionalPut) {
      try {
        await put(true);
        return "written";
      } catch (e) {
        const status = (e as SdkError)?.$metadata?.httpStatusCode;
        if (status === 412) return "exists";
        if (status !== 501 && status !== 400) throw this.#fail(e, `uploading ${name}`);
        this.#noConditionalPut = true;
      }
    }
    // HEAD-then-PUT: two pushers of the same content-addressed object write the same bytes.
    if (await this.size(name) !== null) return "exists";
    try {
      await put(false);
    } catch (e) {
      throw this.#fail(e, `uploading ${name}`);
    }
    return "written";
  }

  close(): void {
    this.#client?.destroy();
  }
}
