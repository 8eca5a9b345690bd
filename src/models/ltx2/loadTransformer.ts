// Opens the LTX-2 transformer and its text side (feature extractor, connectors) from one checkpoint or from
// random weights, with the config read from the file's metadata.
import type { WeightSource } from "../../checkpoint/safetensors.js";
import { SafetensorsFile } from "../../checkpoint/safetensors.js";
import { transformerLayout, TRANSFORMER_PREFIX } from "./checkpoint/layout.js";
import { RandomWeightSource } from "./checkpoint/randomWeights.js";
import { Embeddings1DConnector, parseConnectorConfig } from "./text/embeddingsConnector.js";
import { type FeatureExtractor, FeatureExtractorV1, FeatureExtractorV2 } from "./text/featureExtractor.js";
import { parseTransformerConfig, type TransformerConfig } from "./transformer/config.js";
import { LTXModel, type LTXModelOptions } from "./transformer/model.js";

export interface Ltx2TextSide {
  featureExtractor: FeatureExtractor;
  videoConnector: Embeddings1DConnector;
  audioConnector: Embeddings1DConnector;
}

/** The transformer of a checkpoint file (blocks `layers`, default all). */
export function loadLtx2Transformer(file: SafetensorsFile, opts: LTXModelOptions = {}): LTXModel {
  const config = parseTransformerConfig(file.config);
  return new LTXModel(file.view(TRANSFORMER_PREFIX), config, opts);
}

/** The text side of a checkpoint: `textLayers` hidden states (49 for Gemma-3-12B) in, connector outputs out. */
export function loadLtx2TextSide(file: SafetensorsFile, textLayers: number): Ltx2TextSide {
  const t = (file.config?.transformer ?? {}) as Record<string, unknown>;
  const config = parseTransformerConfig(file.config);
  const video = parseConnectorConfig(t, false), audio = parseConnectorConfig(t, true);
  const projection = file.view("text_embedding_projection.");
  return {
    featureExtractor: config.captionProjBeforeConnector
      ? new FeatureExtractorV2(projection, config.captionChannels, textLayers, video.heads * video.headDim, audio.heads * audio.headDim)
      : new FeatureExtractorV1(projection, config.captionChannels, textLayers, config.captionChannels),
    videoConnector: new Embeddings1DConnector(file.view(`${TRANSFORMER_PREFIX}video_embeddings_connector.`), video),
    audioConnector: new Embeddings1DConnector(file.view(`${TRANSFORMER_PREFIX}audio_embeddings_connector.`), audio),
  };
}

/** A transformer with seeded random weights for any config (`--random-weights`); dispose both when done. */
export function randomLtx2Transformer(transformerConfig: Record<string, unknown>, opts: LTXModelOptions & { seed?: number } = {}): { model: LTXModel; weights: RandomWeightSource; config: TransformerConfig } {
  const config = parseTransformerConfig({ transformer: transformerConfig });
  const weights = new RandomWeightSource(transformerLayout(config, opts.layers), opts.seed ?? 0);
  const source: WeightSource = weights;
  return { model: new LTXModel(source, config, opts), weights, config };
}
