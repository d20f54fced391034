/**
 * Entry point of a training worker (see `team.ts` for the protocol and what is shared).
 * It initialises its own tfjs backend (wasm is single-threaded, so workers are how training
 * uses several cores), loads the data, builds the model from the seed, overwrites its owned
 * blocks and the shared weights with what the main thread sent, and then trains ranges of
 * batches on request. `WorkerTeam.start` starts it as a module worker.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { initBackend } from "../../backend/mod.ts";
import type { Config } from "../../config/schema.ts";
import type { ParamArrays } from "../../model/params.ts";
import { NonFiniteLossError } from "../batches.ts";
import { BlockTrainer, type TrainerState } from "./trainer.ts";
import { setupRun, trainerHyper } from "./setup.ts";
import { assignShared, sharedArrays, type WorkerReply } from "./team.ts";

let trainer: BlockTrainer | undefined;

function reply(m: WorkerReply) {
  self.postMessage(m);
}

self.onmessage = async (e: MessageEvent) => {
  const m = e.data;
  try {
    if (m.type === "init") {
      const cfg = m.config as Config;
      await initBackend(cfg.backend === "auto" ? "wasm" : cfg.backend);
      const { model, train, stats } = await setupRun(cfg);
      const owned = m.owned as number[];
      for (const t of owned) {
        model.blocks[t - 1].assignFrom((m.blocks as Record<number, ParamArrays>)[t]);
      }
      assignShared(model, m.shared as ParamArrays);
      // Blocks this worker does not own are never used: free them.
      model.blocks.forEach((b, i) => owned.includes(i + 1) || b.dispose());
      trainer = new BlockTrainer(model, trainerHyper(cfg), owned, train, stats);
      if (m.state) trainer.load(m.state as TrainerState);
      reply({ type: "ready" });
    } else if (m.type === "run") {
      const t = trainer!;
      if (m.shared) assignShared(t.model, m.shared);
      const result = await t.runBatches(
        m.epoch,
        m.from,
        m.to,
        (loss) => reply({ type: "batch", loss }),
      );
      reply({ type: "done", result, shared: await sharedArrays(t.model) });
    } else if (m.type === "collect") {
      const t = trainer!;
      const blocks: Record<number, ParamArrays> = {};
      for (const b of t.owned) blocks[b] = await t.model.blocks[b - 1].toArrays();
      reply({
        type: "collected",
        blocks,
        shared: await sharedArrays(t.model),
        state: await t.state(),
      });
    }
  } catch (err) {
    if (err instanceof NonFiniteLossError) {
      const nonFinite = { what: err.what, step: err.step, value: err.value };
      reply({ type: "error", message: err.message, nonFinite });
    } else reply({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
};
