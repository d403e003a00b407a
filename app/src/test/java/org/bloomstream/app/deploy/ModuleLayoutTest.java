package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layout the README's module map promises: one module per deployable, the tooling apart under
 * {@code tools/}, no module with most of the code, no package cycles, thin commands.
 */
class ModuleLayoutTest {
    /** Every Java module; shipped ones at the top level, tooling under tools/. */
    private static final List<String> MODULES =
            List.of(
                    "schemas",
                    "ingest",
                    "inference",
                    "aggregation",
                    "job",
                    "app",
                    "tools/embedded-kafka",
                    "tools/devkit",
                    "tools/bench",
                    "tools/modeltools");

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    private static final Pattern IMPORT =
            Pattern.compile("(?m)^import (?:static )?(org\\.bloomstream\\.[\\w.]+);");

    private static List<Path> mainSources(String module) {
        Path dir = DeployFiles.path(module).resolve("src/main/java");
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theParentBuildsExactlyTheseModules() {
        String pom = DeployFiles.text("pom.xml");
        for (String m : MODULES) {
            assertThat(pom).contains("<module>" + m + "</module>");
        }
    }

    @Test
    void noModuleHoldsMoreThan30PercentOfTheMainJavaLines() {
        Map<String, Long> lines = new LinkedHashMap<>();
        for (String m : MODULES) {
            lines.put(m, mainSources(m).stream().mapToLong(p -> read(p).lines().count()).sum());
        }
        long total = lines.values().stream().mapToLong(Long::longValue).sum();
        lines.forEach(
                (m, n) ->
                        assertThat(n * 100.0 / total)
                                .as("%s: %d of %d lines", m, n, total)
                                .isLessThanOrEqualTo(30.0));
    }

    @Test
    void theIngestServiceNamesNoKafkaBrokerArtifactOutsideItsTests() {
        String pom = DeployFiles.text("ingest/pom.xml");
        Matcher dep =
                Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL).matcher(pom);
        List<String> compile = new ArrayList<>();
        while (dep.find()) {
            if (!dep.group(1).contains("<scope>test</scope>")) {
                compile.add(dep.group(1));
            }
        }
        assertThat(compile)
                .noneMatch(
                        d ->
                                d.contains("kafka_2.13")
                                        || d.contains("kafka-server")
                                        || d.contains("kafka-test-common")
                                        || d.contains("bloomstream-embedded-kafka")
                                        || d.contains("flink"));
    }

    /** Imports only: a class name in a string (a subprocess's main class) is no dependency. */
    @Test
    void noPackageCycles() {
        Map<String, Set<String>> deps = new TreeMap<>();
        for (String m : MODULES) {
            for (Path p : mainSources(m)) {
                String src = read(p);
                Matcher pk = PACKAGE.matcher(src);
                if (!pk.find()) {
                    continue;
                }
                Set<String> out = deps.computeIfAbsent(pk.group(1), k -> new TreeSet<>());
                Matcher im = IMPORT.matcher(src);
                while (im.find()) {
                    String pkg = packageOf(im.group(1));
                    if (!pkg.equals(pk.group(1))) {
                        out.add(pkg);
                    }
                }
            }
        }
        List<List<String>> cycles = cycles(deps);
        assertThat(cycles).as("package cycles").isEmpty();
    }

    @Test
    void commandClassesStayThin() {
        for (String m : MODULES) {
            for (Path p : mainSources(m)) {
                String src = read(p);
                if (src.contains("@Command(")) {
                    assertThat(src.lines().count())
                            .as("%s is a command class", DeployFiles.ROOT.relativize(p))
                            .isLessThanOrEqualTo(260);
                }
            }
        }
    }

    /** The package part of an imported name: its lower-case segments. */
    private static String packageOf(String imported) {
        List<String> parts = new ArrayList<>();
        for (String s : imported.split("\\.")) {
            if (Character.isUpperCase(s.charAt(0))) {
                break;
            }
            parts.add(s);
        }
        return String.join(".", parts);
    }

    /** Strongly connected components of more than one package (Tarjan). */
    private static List<List<String>> cycles(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        List<String> stack = new ArrayList<>();
        Set<String> onStack = new HashSet<>();
        List<List<String>> found = new ArrayList<>();
        int[] counter = {0};
        for (String v : g.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, g, index, low, stack, onStack, found, counter);
            }
        }
        return found;
    }

    private static void connect(
            String v,
            Map<String, Set<String>> g,
            Map<String, Integer> index,
            Map<String, Integer> low,
            List<String> stack,
            Set<String> onStack,
            List<List<String>> found,
            int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.add(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!g.containsKey(w)) {
                continue;
            }
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, found, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> comp = new ArrayList<>();
            String w;
            do {
                w = stack.remove(stack.size() - 1);
                onStack.remove(w);
                comp.add(w);
            } while (!w.equals(v));
            if (comp.size() > 1) {
                found.add(comp);
            }
        }
    }
}
