// The tiny audio components merged into the tiny LTX-2 checkpoint: one file whose transformer audio token width
// (audio_in_channels) equals the audio latent's z·16, decodable by the audio loaders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { SafetensorsFile } from "../../../../src/checkpoint/safetensors.js";
import { writeTinyLtx2Checkpoint } from "../../../../src/models/ltx2/checkpoint/tinyCheckpoint.js";
import { parseAudioVaeConfig } from "../../../../src/models/ltx2/audio/config.js";
import { decodeAudio, loadAudioDecoder, loadVocoder } from "../../../../src/models/ltx2/audio/load.js";
import { tinyAudioExtra } from "../../../../src/models/ltx2/audio/tinyAudio.js";
import { parseTransformerConfig } from "../../../../src/models/ltx2/transformer/config.js";
import { Tensor } from "../../../../src/runtime/tensor.js";

t.test("tiny LTX-2 checkpoint with the audio extra", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "aiprod-tiny-ltx2-audio-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "tiny.safetensors");
  const extra = tinyAudioExtra({ seed: 3 });
  writeTinyLtx2Checkpoint(path, { extra: [extra], transformer: { audio_in_channels: 32, audio_out_channels: 32 } });
  using file = SafetensorsFile.open(path);
  const config = file.config!;
  const a = parseAudioVaeConfig(config.audio_vae);
  t.equal(parseTransformerConfig(config).audioInChannels, a.zChannels * a.latentMelBins, "audio tokens are the patchified latent");
  t.ok(file.has("audio_vae.decoder.conv_in.conv.weight") && file.has("vocoder.conv_post.weight"));
  const decoder = loadAudioDecoder(file), vocoder = loadVocoder(file);
  using latent = Tensor.zeros([1, a.zChannels, 2, a.latentMelBins]);
  const [w] = decodeAudio(latent, decoder, vocoder);
  t.equal(w!.samples[0]!.length, 5 * 240, "(4·2−3) mel frames × 240 samples");
  decoder[Symbol.dispose]();
  vocoder[Symbol.dispose]();
});
