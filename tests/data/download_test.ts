/** Download-on-first-use: checksum verification, atomic writes, no re-download, offline errors. */
import { assert, assertEquals, assertStrictEquals } from "../assert.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { cachedFile, defaultCacheDir, md5Hex } from "../../src/data/download.ts";
import { resolveOptions } from "../../src/data/options.ts";
import { MNIST_SOURCE } from "../../src/data/sources.ts";
import { assertDatasetError, cifarBin, gzip, tarArchive, withTempDir } from "../_helpers/data.ts";

const quiet = { log: () => {} };
const content = new TextEncoder().encode("dataset bytes ".repeat(1000));
const file = { name: "data.gz", urls: ["https://a.example/data.gz"], md5: md5Hex(content) };

/** A fake fetch serving `routes` (URL → bytes, or an HTTP status), recording every URL asked for. */
function fakeFetch(routes: Record<string, Uint8Array | number>) {
  const calls: string[] = [];
  const fetch = (url: string) => {
    calls.push(url);
    const r = routes[url];
    if (r === undefined) return Promise.reject(new TypeError(`no route to ${url}`));
    return Promise.resolve(
      typeof r === "number"
        ? new Response("nope", { status: r })
        : new Response(r as Uint8Array<ArrayBuffer>),
    );
  };
  return { fetch, calls };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

Deno.test("download: a verified download is written into the cache (no temp file left) and never fetched again", async () => {
  await withTempDir(async (dir) => {
    const cache = `${dir}/cache/mnist`;
    const f1 = fakeFetch({ [file.urls[0]]: content });
    const got = await cachedFile(file, cache, { ...quiet, fetch: f1.fetch });
    assertEquals(got, content);
    assertEquals(f1.calls, file.urls);
    assertEquals(await listDir(cache), ["data.gz"]);
    assertEquals(await Deno.readFile(`${cache}/data.gz`), content);

    const f2 = fakeFetch({});
    const again = await cachedFile(file, cache, { ...quiet, fetch: f2.fetch });
    assertEquals(again, content);
    assertEquals(f2.calls, []);
  });
});

Deno.test("download: nothing is written to the cache before the download has completed and been verified", async () => {
  await withTempDir(async (dir) => {
    let seenDuringDownload: string[] = ["not checked"];
    const fetch = async (_url: string) => {
      seenDuringDownload = await listDir(dir);
      return new Response(content);
    };
    await cachedFile(file, dir, { ...quiet, fetch });
    assertEquals(seenDuringDownload, []);
    assertEquals(await listDir(dir), ["data.gz"]);
  });
});

Deno.test("download: a checksum mismatch is an error and leaves no file (final or temporary) behind", async () => {
  await withTempDir(async (dir) => {
    const bad = content.slice();
    bad[0] ^= 1;
    const { fetch } = fakeFetch({ [file.urls[0]]: bad });
    await assertDatasetError(
      cachedFile(file, dir, { ...quiet, fetch }),
      "data.gz",
      file.urls[0],
      "checksum mismatch",
      `expected ${file.md5}`,
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("download: mirrors are tried in order until one serves a valid file", async () => {
  await withTempDir(async (dir) => {
    const two = { ...file, urls: ["https://a.example/x", "https://b.example/x"] };
    const { fetch, calls } = fakeFetch({ [two.urls[0]]: 404, [two.urls[1]]: content });
    assertEquals(await cachedFile(two, dir, { ...quiet, fetch }), content);
    assertEquals(calls, two.urls);
  });
});

Deno.test("download: a cached file failing its checksum is downloaded again and replaced", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/data.gz`, new Uint8Array([1, 2, 3]));
    const { fetch, calls } = fakeFetch({ [file.urls[0]]: content });
    assertEquals(await cachedFile(file, dir, { ...quiet, fetch }), content);
    assertEquals(calls.length, 1);
    assertEquals(await Deno.readFile(`${dir}/data.gz`), content);
    assertEquals(await listDir(dir), ["data.gz"]);
  });
});

Deno.test("download: with no network the error is one line naming the file, every URL tried and --data-dir/NOPROP_DATA_DIR", async () => {
  await withTempDir(async (dir) => {
    const offline = () => Promise.reject(new TypeError("error sending request: dns error"));
    const err = await assertDatasetError(
      loadDataset("mnist", { ...quiet, dataDir: null, cacheDir: dir, fetch: offline }),
      "MNIST",
      "-idx",
      "is missing",
      "https://ossci-datasets.s3.amazonaws.com/mnist/",
      "http://yann.lecun.com/exdb/mnist/",
      "dns error",
      "--data-dir",
      "NOPROP_DATA_DIR",
    );
    assert(err.message.length < 1000, err.message);
    await assertDatasetError(
      loadDataset("cifar10", { ...quiet, dataDir: null, cacheDir: dir, fetch: offline }),
      "CIFAR-10",
      "cifar-10-binary.tar.gz",
      "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
      "--data-dir",
      "NOPROP_DATA_DIR",
    );
    await assertDatasetError(
      loadDataset("fashion-mnist", { ...quiet, dataDir: null, cacheDir: dir, fetch: offline }),
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    );
    await assertDatasetError(
      loadDataset("cifar100", { ...quiet, dataDir: null, cacheDir: dir, fetch: offline }),
      "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
    );
    assertEquals(await listDir(dir), []);
  });
});

Deno.test("download: CIFAR-10 is fetched into <cache>/cifar10/ and loaded from the cached archive afterwards", async () => {
  await withTempDir(async (dir) => {
    const files = [1, 2, 3, 4, 5].map((b) => ({
      name: `cifar-10-batches-bin/data_batch_${b}.bin`,
      data: cifarBin([b]),
    }));
    files.push({ name: "cifar-10-batches-bin/test_batch.bin", data: cifarBin([0, 9]) });
    const archive = await gzip(tarArchive(files));
    const url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    const opts = { ...quiet, dataDir: null, cacheDir: dir, verifyChecksums: false };
    const f1 = fakeFetch({ [url]: archive });
    const first = await loadDataset("cifar10", { ...opts, fetch: f1.fetch });
    assertEquals([...first.train.labels], [1, 2, 3, 4, 5]);
    assertEquals([...first.test.labels], [0, 9]);
    assertEquals(f1.calls, [url]);
    assertEquals(await listDir(`${dir}/cifar10`), ["cifar-10-binary.tar.gz"]);
    const f2 = fakeFetch({});
    const second = await loadDataset("cifar10", { ...opts, fetch: f2.fetch });
    assertEquals(second.train.images, first.train.images);
    assertEquals(f2.calls, []);
  });
});

const realMnist = new URL("../../../shared/data/mnist", import.meta.url).pathname;
const haveRealMnist = (() => {
  try {
    return Deno.statSync(realMnist).isDirectory;
  } catch {
    return false;
  }
})();
if (!haveRealMnist) console.log(`skipping the MNIST download test: ${realMnist} not found`);

Deno.test({
  name:
    "download: MNIST is downloaded from torchvision's mirror, md5-verified, cached, and not fetched again",
  ignore: !haveRealMnist,
  fn: async () => {
    const routes: Record<string, Uint8Array> = {};
    for (const f of Object.values(MNIST_SOURCE.files)) {
      routes[MNIST_SOURCE.mirrors[0] + f.name] = await Deno.readFile(`${realMnist}/${f.name}`);
    }
    await withTempDir(async (dir) => {
      const f1 = fakeFetch(routes);
      const d = await loadDataset("mnist", {
        ...quiet,
        dataDir: null,
        cacheDir: dir,
        fetch: f1.fetch,
      });
      assertEquals([d.train.count, d.test.count], [60000, 10000]);
      assertEquals(f1.calls.sort(), Object.keys(routes).sort());
      assertEquals((await listDir(`${dir}/mnist`)).length, 4);
      const f2 = fakeFetch({});
      await loadDataset("mnist", { ...quiet, dataDir: null, cacheDir: dir, fetch: f2.fetch });
      assertStrictEquals(f2.calls.length, 0);
    });
  },
});

Deno.test("download: cache dir defaults to NOPROP_CACHE_DIR, then XDG_CACHE_HOME/noprop, then ~/.cache/noprop", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assertEquals(
    defaultCacheDir(env({ NOPROP_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })),
    "/c",
  );
  assertEquals(defaultCacheDir(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/noprop");
  assertEquals(defaultCacheDir(env({ HOME: "/h" })), "/h/.cache/noprop");
});

Deno.test("download: NOPROP_DATA_DIR sets the data dir unless dataDir is given (null ignores it)", () => {
  const env = (k: string) => (k === "NOPROP_DATA_DIR" ? "/env/data" : undefined);
  assertEquals(resolveOptions({}, env).dataDir, "/env/data");
  assertEquals(resolveOptions({ dataDir: "/opt/data" }, env).dataDir, "/opt/data");
  assertEquals(resolveOptions({ dataDir: null }, env).dataDir, undefined);
  assertEquals(resolveOptions({}, () => undefined).dataDir, undefined);
});
