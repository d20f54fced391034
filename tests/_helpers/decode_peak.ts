/**
 * Child process of the decompression-bomb test: decodes the image file named by its argument
 * and prints one JSON line, `{ "error": <message or null>, "peakMiB": <growth of the peak
 * resident memory during the decode> }`, read from `/proc/self/status` (Linux; `peakMiB` is
 * null elsewhere). Run: `deno run -A tests/_helpers/decode_peak.ts FILE`.
 * @module
 */
import { decodeImage } from "@noprop/infer";

function status(key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(
      Deno.readTextFileSync("/proc/self/status"),
    );
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  const bytes = await Deno.readFile(Deno.args[0]);
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  } catch { /* older kernels: the peak then includes start-up */ }
  const before = status("VmRSS");
  let error: string | null = null;
  try {
    decodeImage(bytes, "bomb.png");
  } catch (e) {
    error = (e as Error).message;
  }
  const peak = status("VmHWM");
  const peakMiB = before === undefined || peak === undefined ? null : peak - before;
  console.log(JSON.stringify({ error, peakMiB }));
}
