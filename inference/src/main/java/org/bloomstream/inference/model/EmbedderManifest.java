package org.bloomstream.inference.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON manifest written next to every embedder ONNX file by {@code models/export.py}: what the
 * graph expects and where its weights came from. The Java side trusts the manifest, not file names,
 * and checks it against the graph when the model is opened.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EmbedderManifest(
        String format,
        String modelId,
        String arch,
        int embeddingDim,
        int imageSize,
        Input input,
        Output output,
        Preprocessing preprocessing,
        Source source)
        implements Serializable {

    public static final String FORMAT = "bloomstream-embedder/1";

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Input(String name, String dtype, String layout, boolean normalizationInGraph)
            implements Serializable {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String name) implements Serializable {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Preprocessing(
            String colorSpace, String resize, double scale, List<Double> mean, List<Double> std)
            implements Serializable {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(String kind, Integer seed, String path, String sha256)
            implements Serializable {}

    /** True when the graph takes uint8 pixels and normalises them itself. */
    public boolean uint8Input() {
        return "uint8".equals(input.dtype());
    }

    public static EmbedderManifest read(Path json) throws IOException {
        EmbedderManifest m = new ObjectMapper().readValue(json.toFile(), EmbedderManifest.class);
        m.validate(json);
        return m;
    }

    /** The manifest of an ONNX file: {@code x.onnx} is described by {@code x.json}. */
    public static Path manifestPathFor(Path onnx) {
        String name = onnx.getFileName().toString();
        String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
        return onnx.resolveSibling(stem + ".json");
    }

    public static EmbedderManifest forModel(Path onnx) throws IOException {
        Path json = manifestPathFor(onnx);
        if (!Files.isRegularFile(json)) {
            throw new IOException(
                    "model "
                            + onnx
                            + " has no manifest "
                            + json
                            + " (write it with models/export.py)");
        }
        return read(json);
    }

    private void validate(Path where) throws IOException {
        if (!FORMAT.equals(format)) {
            throw new IOException(where + ": format is '" + format + "', expected " + FORMAT);
        }
        if (modelId == null || modelId.isBlank() || embeddingDim <= 0 || imageSize <= 0) {
            throw new IOException(where + ": modelId, embeddingDim and imageSize are required");
        }
        if (input == null || output == null || preprocessing == null) {
            throw new IOException(where + ": input, output and preprocessing are required");
        }
        if (!"float32".equals(input.dtype()) && !"uint8".equals(input.dtype())) {
            throw new IOException(where + ": input dtype must be float32 or uint8");
        }
        if (uint8Input() != input.normalizationInGraph()) {
            throw new IOException(
                    where + ": uint8 input requires normalisation in the graph, and only then");
        }
        if (preprocessing.mean().size() != 3 || preprocessing.std().size() != 3) {
            throw new IOException(where + ": mean and std need 3 channels");
        }
    }
}
