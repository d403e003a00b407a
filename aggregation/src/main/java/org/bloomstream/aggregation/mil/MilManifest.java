package org.bloomstream.aggregation.mil;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The MIL model format's manifest ({@code models/train_mil.py} writes it): class names, the
 * embedding model it was trained on, D and C, and the ONNX files of the instance part, the bag head
 * and the full model (the last only for parity checks).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MilManifest(
        String format,
        String modelId,
        String embeddingModelId,
        List<String> classes,
        String controlClass,
        int embeddingDim,
        int numClasses,
        Graph instance,
        Graph head,
        Graph full,
        String golden)
        implements Serializable {

    public static final String FORMAT = "bloomstream-mil/1";

    /** One ONNX graph of the model. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Graph(String file, String input, String output, String sha256)
            implements Serializable {}

    public static MilManifest read(Path json) throws IOException {
        if (!Files.isRegularFile(json)) {
            throw new IOException("MIL manifest not found: " + json.toAbsolutePath());
        }
        MilManifest m = new ObjectMapper().readValue(json.toFile(), MilManifest.class);
        if (!FORMAT.equals(m.format())) {
            throw new IOException(json + ": format is '" + m.format() + "', expected " + FORMAT);
        }
        if (m.classes() == null
                || m.classes().size() != m.numClasses()
                || !m.classes().contains(m.controlClass())) {
            throw new IOException(
                    json + ": classes must list numClasses names including the control class");
        }
        if (m.embeddingDim() <= 0 || m.instance() == null || m.head() == null) {
            throw new IOException(json + ": embeddingDim, instance and head are required");
        }
        for (Graph g : List.of(m.instance(), m.head())) {
            if (!Files.isRegularFile(json.resolveSibling(g.file()))) {
                throw new IOException(json + ": missing " + json.resolveSibling(g.file()));
            }
        }
        return m;
    }
}
