/** CIFAR-10 / CIFAR-100 binary loading (extracted .bin files and .tar.gz), the tar reader, and bad input. */
import { assert, assertEquals, assertStrictEquals } from "../assert.ts";
import { loadDataset } from "../../src/data/mod.ts";
import { decodeCifar } from "../../src/data/cifar.ts";
import { findTarFile, readTar } from "../../src/data/tar.ts";
import { CIFAR100_FINE_CLASSES, CIFAR10_CLASSES } from "../../src/data/class_names.ts";
import type { ImageSet } from "../../src/data/types.ts";
import { loadCifarSplits } from "../../src/data/cifar_files.ts";
import { md5Hex } from "../../src/data/download.ts";
import { resolveOptions } from "../../src/data/options.ts";
import { CIFAR100_SOURCE, CIFAR10_SOURCE } from "../../src/data/sources.ts";
import {
  assertDatasetError,
  cifarBin,
  concat,
  gzip,
  offline,
  planeValue,
  tarArchive,
  withTempDir,
} from "../_helpers/data.ts";

const unverified = { ...offline, verifyChecksums: false };
const enc = new TextEncoder();

/** CIFAR-10 fixture: 5 training batches of 2 records, a test batch of 3. Record k of the train set has label k % 10. */
function cifar10Files(): { name: string; data: Uint8Array }[] {
  const files = [1, 2, 3, 4, 5].map((b) => ({
    name: `data_batch_${b}.bin`,
    data: cifarBin([(2 * b - 2) % 10, (2 * b - 1) % 10], 2 * (b - 1)),
  }));
  files.push({ name: "test_batch.bin", data: cifarBin([9, 8, 7], 100) });
  return files;
}

/** CIFAR-100 fixture: 4 train records, 2 test records; (coarse, fine) pairs. */
function cifar100Files(): { name: string; data: Uint8Array }[] {
  return [
    { name: "train.bin", data: cifarBin([[4, 0], [1, 1], [19, 99], [0, 55]]) },
    { name: "test.bin", data: cifarBin([[3, 10], [14, 2]], 100) },
  ];
}

async function writeFiles(folder: string, files: { name: string; data: Uint8Array }[]) {
  await Deno.mkdir(folder, { recursive: true });
  for (const f of files) await Deno.writeFile(`${folder}/${f.name}`, f.data);
}

/** Checks that image `n` of `set` holds record `record`'s planes, interleaved as HWC. */
function assertHwc(set: ImageSet, n: number, record: number) {
  for (const [y, x] of [[0, 0], [0, 1], [1, 0], [17, 5], [31, 31]]) {
    const p = y * 32 + x;
    const at = ((n * 32 + y) * 32 + x) * 3;
    assertEquals(
      [set.images[at], set.images[at + 1], set.images[at + 2]],
      [planeValue(record, 0, p), planeValue(record, 1, p), planeValue(record, 2, p)],
      `image ${n} pixel (${y},${x})`,
    );
  }
}

Deno.test("cifar: R/G/B planes become interleaved HWC on known pixel values", () => {
  const bin = new Uint8Array(3073);
  bin[0] = 3;
  bin[1] = 10; // R at (0,0)
  bin[1 + 1] = 11; // R at (0,1)
  bin[1 + 32] = 12; // R at (1,0)
  bin[1 + 1024] = 20; // G at (0,0)
  bin[1 + 2048] = 30; // B at (0,0)
  bin[1 + 2048 + 1023] = 39; // B at (31,31)
  const { images, labels } = decodeCifar([{ file: "one.bin", bytes: bin }], "cifar10");
  assertEquals([...labels], [3]);
  assertEquals([...images.subarray(0, 6)], [10, 20, 30, 11, 0, 0]); // (0,0) then (0,1)
  assertEquals([...images.subarray(32 * 3, 32 * 3 + 3)], [12, 0, 0]); // (1,0)
  assertEquals([...images.subarray(3069, 3072)], [0, 0, 39]); // (31,31)
});

Deno.test("cifar10: extracted cifar-10-batches-bin folder loads all batches in order, NHWC, names from batches.meta.txt", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/cifar10/cifar-10-batches-bin`;
    await writeFiles(folder, cifar10Files());
    const names = CIFAR10_CLASSES.map((n) => n.toUpperCase());
    await Deno.writeFile(`${folder}/batches.meta.txt`, enc.encode(names.join("\n") + "\n\n"));
    const { train, test, info } = await loadDataset("cifar10", { ...unverified, dataDir: dir });
    assertEquals([train.count, train.height, train.width, train.channels], [10, 32, 32, 3]);
    assertStrictEquals(train.images.length, 10 * 3072);
    assertEquals([...train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assertEquals([...test.labels], [9, 8, 7]);
    for (let n = 0; n < 10; n++) assertHwc(train, n, n);
    assertHwc(test, 2, 102);
    assertEquals(info.classNames, names);
    assertEquals([info.numClasses, info.channels], [10, 3]);
    assertEquals(info.mean, [0.4914, 0.4822, 0.4465]);
    assertEquals(info.std, [0.2470, 0.2435, 0.2616]);
  });
});

Deno.test("cifar10: .bin files directly in <dataDir>/cifar10 load, with the built-in class names", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(`${dir}/cifar10`, cifar10Files());
    const { train, info } = await loadDataset("cifar10", { ...unverified, dataDir: dir });
    assertStrictEquals(train.count, 10);
    assertEquals(info.classNames, [...CIFAR10_CLASSES]);
  });
});

Deno.test("cifar10: cifar-10-binary.tar.gz in the data dir gives the same data as the extracted files", async () => {
  await withTempDir(async (dir) => {
    const files = cifar10Files().map((f) => ({ ...f, name: `cifar-10-batches-bin/${f.name}` }));
    files.push({ name: "cifar-10-batches-bin/readme.html", data: enc.encode("<html/>") });
    await Deno.mkdir(`${dir}/cifar10`);
    await Deno.writeFile(`${dir}/cifar10/cifar-10-binary.tar.gz`, await gzip(tarArchive(files)));
    const fromTar = await loadDataset("cifar10", { ...unverified, dataDir: dir });
    assertEquals([...fromTar.train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let n = 0; n < 10; n++) assertHwc(fromTar.train, n, n);
    assertHwc(fromTar.test, 0, 100);
    assertEquals(fromTar.info.classNames, [...CIFAR10_CLASSES]);
  });
});

Deno.test("cifar100: extracted folder uses fine labels by default and coarse on request, names from the txt files", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/cifar100/cifar-100-binary`;
    await writeFiles(folder, cifar100Files());
    const fine = Array.from({ length: 100 }, (_, i) => `fine${i}`);
    const coarse = Array.from({ length: 20 }, (_, i) => `coarse${i}`);
    await Deno.writeFile(`${folder}/fine_label_names.txt`, enc.encode(fine.join("\n")));
    await Deno.writeFile(`${folder}/coarse_label_names.txt`, enc.encode(coarse.join("\r\n")));

    const f = await loadDataset("cifar100", { ...unverified, dataDir: dir });
    assertEquals([...f.train.labels], [0, 1, 99, 55]);
    assertEquals([...f.test.labels], [10, 2]);
    assertEquals([f.info.numClasses, f.info.classNames[99]], [100, "fine99"]);
    assertEquals(f.info.mean, [0.5071, 0.4865, 0.4409]);
    assertEquals(f.info.std, [0.2673, 0.2564, 0.2762]);
    for (let n = 0; n < 4; n++) assertHwc(f.train, n, n);
    assertHwc(f.test, 1, 101);

    const c = await loadDataset("cifar100", {
      ...unverified,
      dataDir: dir,
      cifar100Labels: "coarse",
    });
    assertEquals([...c.train.labels], [4, 1, 19, 0]);
    assertEquals([...c.test.labels], [3, 14]);
    assertEquals([c.info.numClasses, c.info.classNames[19]], [20, "coarse19"]);
    assertEquals(c.train.images, f.train.images);
  });
});

Deno.test("cifar100: cifar-100-binary.tar.gz loads with the built-in fine and coarse names", async () => {
  await withTempDir(async (dir) => {
    const files = cifar100Files().map((f) => ({ ...f, name: `cifar-100-binary/${f.name}` }));
    await Deno.mkdir(`${dir}/cifar100`);
    await Deno.writeFile(`${dir}/cifar100/cifar-100-binary.tar.gz`, await gzip(tarArchive(files)));
    const f = await loadDataset("cifar100", { ...unverified, dataDir: dir });
    assertEquals([...f.train.labels], [0, 1, 99, 55]);
    assertEquals(f.info.classNames, [...CIFAR100_FINE_CLASSES]);
    assertEquals(f.info.classNames.length, 100);
    assertHwc(f.train, 2, 2);
    const c = await loadDataset("cifar100", {
      ...unverified,
      dataDir: dir,
      cifar100Labels: "coarse",
    });
    assertEquals(c.info.classNames.length, 20);
    assertEquals(c.info.classNames[0], "aquatic_mammals");
  });
});

Deno.test("cifar: a file whose size is not a multiple of the record size is rejected", async () => {
  await withTempDir(async (dir) => {
    const files = cifar10Files();
    files[2] = { name: files[2].name, data: files[2].data.subarray(0, 3073 + 100) };
    await writeFiles(`${dir}/cifar10`, files);
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      "data_batch_3.bin",
      "size 3173 bytes",
      "record size 3073",
    );
  });
  await assertDatasetError(
    () => decodeCifar([{ file: "t.bin", bytes: new Uint8Array(3073) }], "cifar100-fine"),
    "t.bin",
    "record size 3074",
  );
  await assertDatasetError(
    () => decodeCifar([{ file: "empty.bin", bytes: new Uint8Array(0) }], "cifar10"),
    "empty.bin",
    "size 0 bytes",
  );
});

Deno.test("cifar: out-of-range labels are rejected (10 for CIFAR-10, 20 coarse / 100 fine for CIFAR-100)", async () => {
  await assertDatasetError(
    () => decodeCifar([{ file: "a.bin", bytes: cifarBin([1, 10]) }], "cifar10"),
    "a.bin",
    "record 1 has label 10",
  );
  await assertDatasetError(
    () => decodeCifar([{ file: "b.bin", bytes: cifarBin([[20, 5]]) }], "cifar100-fine"),
    "b.bin",
    "coarse label 20",
  );
  await assertDatasetError(
    () => decodeCifar([{ file: "c.bin", bytes: cifarBin([[2, 100]]) }], "cifar100-coarse"),
    "c.bin",
    "fine label 100",
  );
});

Deno.test("cifar: a missing test_batch.bin in the extracted folder is named in the error", async () => {
  await withTempDir(async (dir) => {
    await writeFiles(`${dir}/cifar10/cifar-10-batches-bin`, cifar10Files().slice(0, 5));
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      "CIFAR-10",
      "missing test_batch.bin",
    );
  });
});

Deno.test("cifar: an empty data dir lists every place it looked", async () => {
  await withTempDir(async (dir) => {
    await assertDatasetError(
      loadDataset("cifar100", { ...unverified, dataDir: dir }),
      `${dir}/cifar100/cifar-100-binary/train.bin`,
      `${dir}/cifar100/cifar-100-binary.tar.gz`,
    );
  });
});

Deno.test("cifar: an archive failing its published MD5 is a checksum error", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/cifar10`);
    const path = `${dir}/cifar10/cifar-10-binary.tar.gz`;
    await Deno.writeFile(path, await gzip(tarArchive(cifar10Files())));
    await assertDatasetError(
      loadDataset("cifar10", { ...offline, dataDir: dir }),
      path,
      "checksum mismatch",
      "expected c32a1d4ab5d03f1284b67883e8d87530",
    );
  });
});

Deno.test("cifar10: extracted .bin files are checked against the official per-file md5s (generated files fail, named)", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/cifar10/cifar-10-batches-bin`;
    await writeFiles(folder, cifar10Files());
    await assertDatasetError(
      loadDataset("cifar10", { ...offline, dataDir: dir }),
      `${folder}/data_batch_1.bin: checksum mismatch`,
      "expected 5dd7e06a14cb22eb9f671a540d1b7c25",
      "not the official one",
    );
  });
});

Deno.test("cifar10: every extracted file is checked: a table matching all but test_batch.bin names only it", async () => {
  await withTempDir(async (dir) => {
    const files = cifar10Files();
    await writeFiles(`${dir}/cifar10`, files); // loose files, not in the extracted folder
    const sums = Object.fromEntries(files.map((f) => [f.name, md5Hex(f.data)]));
    const opts = resolveOptions({ ...offline, dataDir: dir });
    const ok = await loadCifarSplits({ ...CIFAR10_SOURCE, binMd5: sums }, opts);
    assertEquals([ok.train.count, ok.test.count], [10, 3]);
    const bad = { ...sums, "test_batch.bin": "f".repeat(32) };
    const err = await assertDatasetError(
      loadCifarSplits({ ...CIFAR10_SOURCE, binMd5: bad }, opts),
      `${dir}/cifar10/test_batch.bin: checksum mismatch (md5 ${sums["test_batch.bin"]}, expected ${
        "f".repeat(32)
      })`,
    );
    assert(!err.message.includes("data_batch"), err.message);
  });
});

Deno.test("cifar100: extracted files have no published per-file sums, so they load with verification on", async () => {
  await withTempDir(async (dir) => {
    assertStrictEquals(CIFAR100_SOURCE.binMd5, undefined);
    await writeFiles(`${dir}/cifar100/cifar-100-binary`, cifar100Files());
    const f = await loadDataset("cifar100", { ...offline, dataDir: dir });
    assertEquals([...f.train.labels], [0, 1, 99, 55]);
  });
});

Deno.test("cifar: a truncated .tar.gz is a gzip truncation error", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/cifar10`);
    const path = `${dir}/cifar10/cifar-10-binary.tar.gz`;
    const gz = await gzip(tarArchive(cifar10Files()));
    await Deno.writeFile(path, gz.subarray(0, gz.length >> 1));
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      path,
      "truncated gzip",
    );
  });
});

Deno.test("cifar: a tar cut inside an entry (valid gzip) is a tar truncation error", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/cifar10`);
    const path = `${dir}/cifar10/cifar-10-binary.tar.gz`;
    const tar = tarArchive(cifar10Files());
    await Deno.writeFile(path, await gzip(tar.subarray(0, 512 + 1000)));
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      path,
      "truncated tar archive",
    );
  });
});

Deno.test("cifar: an archive lacking a batch names the missing entry", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/cifar10`);
    const files = cifar10Files().filter((f) => f.name !== "data_batch_4.bin");
    await Deno.writeFile(`${dir}/cifar10/cifar-10-binary.tar.gz`, await gzip(tarArchive(files)));
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      "missing data_batch_4.bin",
    );
  });
});

Deno.test("cifar: a class-names file with the wrong number of names is rejected", async () => {
  await withTempDir(async (dir) => {
    const folder = `${dir}/cifar10/cifar-10-batches-bin`;
    await writeFiles(folder, cifar10Files());
    await Deno.writeFile(`${folder}/batches.meta.txt`, enc.encode("cat\ndog\n"));
    await assertDatasetError(
      loadDataset("cifar10", { ...unverified, dataDir: dir }),
      "batches.meta.txt",
      "found 2 class names, expected 10",
    );
  });
});

Deno.test("tar: reads ustar entries as views, joins the prefix field, stops at the end marker", () => {
  const long = `${"d".repeat(120)}/file.bin`;
  const tar = tarArchive([
    { name: "a.txt", data: enc.encode("hello") },
    { name: long, data: new Uint8Array([1, 2, 3]) },
  ]);
  const input = concat(tar, new Uint8Array(2048)); // extra zero padding after the end marker
  const entries = readTar(input, "t.tar");
  assertEquals(entries.map((e) => [e.name, e.type, e.size]), [
    ["a.txt", "file", 5],
    [long, "file", 3],
  ]);
  assertStrictEquals(entries[0].data.buffer, input.buffer); // a view, not a copy
  assertEquals([...findTarFile(entries, "file.bin")!.data], [1, 2, 3]);
  assertStrictEquals(findTarFile(entries, "missing"), undefined);
});

Deno.test("tar: a header with a bad checksum is rejected", async () => {
  const tar = tarArchive([{ name: "a.txt", data: enc.encode("hello") }]);
  tar[10] ^= 0xff; // corrupt the name field
  await assertDatasetError(
    () => readTar(tar, "bad.tar"),
    "bad.tar",
    "corrupt tar header at offset 0",
  );
});

Deno.test("tar: archives written by GNU tar (ustar prefix, gnu long names, pax paths) are read correctly", async () => {
  try {
    await new Deno.Command("tar", { args: ["--version"], stdout: "null" }).output();
  } catch {
    console.log("skipping the GNU tar cross-check: no `tar` on PATH");
    return;
  }
  await withTempDir(async (dir) => {
    // > 100 bytes but splittable into ustar's prefix + name fields:
    const deep = `cifar-10-batches-bin/${"a".repeat(60)}/${"b".repeat(60)}/long.bin`;
    // a file name of > 100 bytes: needs a GNU long-name ('L') or pax ('x') header:
    const huge = `cifar-10-batches-bin/${"c".repeat(120)}.bin`;
    await writeFiles(`${dir}/src/cifar-10-batches-bin`, cifar10Files());
    await Deno.mkdir(`${dir}/src/${deep.slice(0, deep.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeFile(`${dir}/src/${deep}`, new Uint8Array([42]));
    const cases = [
      { format: "ustar", marker: "ustar", extra: [] as string[] },
      { format: "gnu", marker: "././@LongLink", extra: [huge] },
      { format: "posix", marker: "PaxHeaders", extra: [huge] },
    ];
    for (const { format, marker, extra } of cases) {
      if (extra.length) await Deno.writeFile(`${dir}/src/${huge}`, new Uint8Array([7, 7]));
      else await Deno.remove(`${dir}/src/${huge}`).catch(() => {});
      const archive = `${dir}/${format}.tar`;
      const args = [
        "-C",
        `${dir}/src`,
        `--format=${format}`,
        "-cf",
        archive,
        "cifar-10-batches-bin",
      ];
      const out = await new Deno.Command("tar", { args, stderr: "piped" }).output();
      assert(out.success, `tar --format=${format}: ${new TextDecoder().decode(out.stderr)}`);
      const bytes = await Deno.readFile(archive);
      assert(new TextDecoder("latin1").decode(bytes).includes(marker), `${format}: ${marker}`);
      const entries = readTar(bytes, archive);
      for (const f of cifar10Files()) {
        assertEquals(findTarFile(entries, f.name)?.data, f.data, `${format}: ${f.name}`);
      }
      assertEquals([...findTarFile(entries, "long.bin")!.data], [42]);
      assert(entries.some((e) => e.name.replace(/\/$/, "") === deep), `${format}: ${deep}`);
      for (const name of extra) {
        const e = entries.find((e) => e.name === name);
        assertEquals(e && [...e.data], [7, 7], `${format}: ${name}`);
      }
      assert(entries.some((e) => e.type === "directory"), `${format}: directories listed`);
    }
  });
});
