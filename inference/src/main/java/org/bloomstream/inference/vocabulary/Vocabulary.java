package org.bloomstream.inference.vocabulary;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A cell-type vocabulary: its classes (code, name, aliases) and, per class, its counterpart in
 * other vocabularies. A mapping to {@code null} says on purpose that the class has no counterpart
 * there (an erythroblast in the five-part differential, say), with a note why; a vocabulary that
 * declares no mapping to a target at all cannot be mapped to it.
 *
 * <pre>
 * {"format": "bloomstream-vocabulary/1", "id": "matek-2018-15", "title": "...", "source": "...",
 *  "classes": [{"code": "NGB", "name": "band neutrophil", "aliases": [...],
 *               "maps": {"peripheral-5": "neutrophil", "bone-marrow-21": "NGB"}, "note": "..."}]}
 * </pre>
 *
 * Labels are matched against codes, names and aliases ignoring case, and treating spaces,
 * underscores and hyphens alike, so "Band_Neutrophil", "band neutrophil" and "NGB" are one class.
 */
public final class Vocabulary implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FORMAT = "bloomstream-vocabulary/1";

    /** The vocabularies shipped on the classpath, under {@code vocabularies/<id>.json}. */
    public static final List<String> BUILT_IN =
            List.of("peripheral-5", "matek-2018-15", "bone-marrow-21");

    /** One class. {@code maps} may hold nulls (no counterpart). */
    public record Entry(
            String code, String name, List<String> aliases, Map<String, String> maps, String note)
            implements Serializable {}

    private final String id;
    private final String title;
    private final String source;
    private final List<Entry> entries;
    private final Map<String, Entry> byKey;

    private Vocabulary(String id, String title, String source, List<Entry> entries) {
        this.id = id;
        this.title = title;
        this.source = source;
        this.entries = List.copyOf(entries);
        Map<String, Entry> keys = new HashMap<>();
        for (Entry e : entries) {
            List<String> names = new ArrayList<>();
            names.add(e.code());
            names.add(e.name());
            names.addAll(e.aliases());
            for (String n : names) {
                Entry prev = keys.put(key(n), e);
                if (prev != null && prev != e) {
                    throw new IllegalArgumentException(
                            id + ": '" + n + "' names both " + prev.code() + " and " + e.code());
                }
            }
        }
        this.byKey = keys;
    }

    /** A shipped vocabulary by id (see {@link #BUILT_IN}). */
    public static Vocabulary builtIn(String id) {
        String resource = "/vocabularies/" + id + ".json";
        try (InputStream in = Vocabulary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException(
                        "no built-in vocabulary '" + id + "' (built in: " + BUILT_IN + ")");
            }
            return parse(new ObjectMapper().readValue(in, File.class), resource);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    /** A built-in id, or a path to a vocabulary file. */
    public static Vocabulary resolve(String idOrPath) throws IOException {
        if (BUILT_IN.contains(idOrPath)) {
            return builtIn(idOrPath);
        }
        return read(Path.of(idOrPath));
    }

    public static Vocabulary read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "no vocabulary '" + file + "': not a file, nor one of " + BUILT_IN);
        }
        try {
            return parse(new ObjectMapper().readValue(file.toFile(), File.class), file.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static Vocabulary parse(File f, String where) {
        if (!FORMAT.equals(f.format)) {
            throw new IllegalArgumentException(
                    where + ": format is " + f.format + ", expected " + FORMAT);
        }
        if (f.id == null || f.classes == null || f.classes.isEmpty()) {
            throw new IllegalArgumentException(where + ": needs an id and classes");
        }
        List<Entry> entries = new ArrayList<>();
        for (ClassFile c : f.classes) {
            if (c.code == null || c.code.isBlank()) {
                throw new IllegalArgumentException(where + ": a class has no code");
            }
            entries.add(
                    new Entry(
                            c.code,
                            c.name != null ? c.name : c.code,
                            c.aliases != null ? List.copyOf(c.aliases) : List.of(),
                            c.maps != null
                                    ? java.util.Collections.unmodifiableMap(
                                            new LinkedHashMap<>(c.maps))
                                    : Map.of(),
                            c.note));
        }
        return new Vocabulary(f.id, f.title, f.source, entries);
    }

    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public String source() {
        return source;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The class codes, in the vocabulary's order: the head's class order when fitted with it. */
    public List<String> codes() {
        return entries.stream().map(Entry::code).toList();
    }

    /** The class a label names (by code, name or alias), if any. */
    public Optional<Entry> find(String label) {
        return label == null ? Optional.empty() : Optional.ofNullable(byKey.get(key(label)));
    }

    /** The code a label names; an error listing the codes when it names none. */
    public String canonical(String label) {
        return find(label)
                .map(Entry::code)
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "'" + label + "' is not a class of " + id + " " + codes()));
    }

    /** Whether this vocabulary declares a mapping to {@code targetId}. */
    public boolean mapsTo(String targetId) {
        return entries.stream().allMatch(e -> e.maps().containsKey(targetId));
    }

    /**
     * The counterpart of {@code label} in {@code targetId}; empty when the class has none there.
     *
     * @throws IllegalArgumentException when the label is not a class here, or this vocabulary
     *     declares no mapping to the target
     */
    public Optional<String> map(String label, String targetId) {
        if (!mapsTo(targetId)) {
            throw new IllegalArgumentException(
                    id + " declares no mapping to " + targetId + " (it maps to " + targets() + ")");
        }
        Entry e =
                find(label)
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "'"
                                                        + label
                                                        + "' is not a class of "
                                                        + id
                                                        + " "
                                                        + codes()));
        return Optional.ofNullable(e.maps().get(targetId));
    }

    /** Vocabularies every class declares a mapping to. */
    public List<String> targets() {
        List<String> out = new ArrayList<>();
        if (!entries.isEmpty()) {
            for (String t : entries.get(0).maps().keySet()) {
                if (mapsTo(t)) {
                    out.add(t);
                }
            }
        }
        return out;
    }

    private static String key(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replaceAll("[\\s_\\-]+", " ");
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class File {
        public String format;
        public String id;
        public String title;
        public String source;
        public List<ClassFile> classes;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class ClassFile {
        public String code;
        public String name;
        public List<String> aliases;
        public Map<String, String> maps;
        public String note;
    }
}
