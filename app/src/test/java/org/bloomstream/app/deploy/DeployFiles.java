package org.bloomstream.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bloomstream.app.cli.BloomstreamCli;
import picocli.CommandLine;

/** Reading the deployment files of docker/ and k8s/, and the CLI they configure. */
final class DeployFiles {
    private DeployFiles() {}

    /** The repository root (surefire sets bloomstream.home to it). */
    static final Path ROOT =
            Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static JsonNode yaml(String relative) {
        List<JsonNode> docs = yamlDocuments(path(relative));
        if (docs.size() != 1) {
            throw new IllegalStateException(relative + ": expected one YAML document");
        }
        return docs.get(0);
    }

    /** Every non-empty document of a (multi-document) YAML file. */
    static List<JsonNode> yamlDocuments(Path file) {
        try (MappingIterator<JsonNode> it =
                YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            List<JsonNode> docs = new ArrayList<>();
            while (it.hasNextValue()) {
                JsonNode doc = it.nextValue();
                if (doc != null && doc.isObject() && doc.size() > 0) {
                    docs.add(doc);
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    static JsonNode json(String relative) {
        try {
            return JSON.readTree(path(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(relative, e);
        }
    }

    static String text(String relative) {
        try {
            return Files.readString(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(relative, e);
        }
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        if (object != null) {
            object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    /** The value after {@code option} in an argument list. */
    static Optional<String> option(List<String> args, String option) {
        int i = args.indexOf(option);
        return i >= 0 && i + 1 < args.size() ? Optional.of(args.get(i + 1)) : Optional.empty();
    }

    /** Parses "key: value" lines, as Flink's docker-entrypoint.sh does with FLINK_PROPERTIES. */
    static Map<String, String> flinkProperties(String block) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int colon = l.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("not a 'key: value' line: " + line);
            }
            out.put(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
        }
        return out;
    }

    // ---- the CLI --------------------------------------------------------------------------------

    static CommandLine cli() {
        return new CommandLine(new BloomstreamCli());
    }

    /** The subcommand at {@code path} (e.g. "ingest", "serve"), if this build has it. */
    static Optional<CommandLine> subcommand(String... path) {
        CommandLine cl = cli();
        for (String name : path) {
            cl = cl.getSubcommands().get(name);
            if (cl == null) {
                return Optional.empty();
            }
        }
        return Optional.of(cl);
    }

    /**
     * Parses a full command line (subcommand names first) the way {@code bloomstream} would; throws
     * picocli's ParameterException for an unknown option, a missing value or a value of the wrong
     * type.
     */
    static CommandLine.ParseResult parse(List<String> args) {
        return cli().parseArgs(args.toArray(String[]::new));
    }

    /** The innermost subcommand's parse result. */
    static CommandLine.ParseResult leaf(CommandLine.ParseResult result) {
        CommandLine.ParseResult r = result;
        while (r.hasSubcommand()) {
            r = r.subcommand();
        }
        return r;
    }

    // ---- JSON schema ----------------------------------------------------------------------------

    /**
     * A draft-07 schema from a vendored file. The {@code $schema} keyword is dropped so the
     * validator never looks a meta-schema up by URL; all references in the files are local.
     */
    static JsonSchema schema(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            ((ObjectNode) node).remove(List.of("$schema", "$id"));
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(node);
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    static Set<String> validate(JsonSchema schema, JsonNode doc) {
        return schema.validate(doc).stream()
                .map(ValidationMessage::getMessage)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static List<Path> files(String relativeDir, String suffix) {
        try (Stream<Path> s = Files.walk(path(relativeDir))) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(relativeDir, e);
        }
    }
}
