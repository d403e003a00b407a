package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documentation's links: every relative link in README.md, BENCHMARKS.md, docs/ and the module
 * READMEs must point to a file or folder of the repository, and every {@code #anchor} into a
 * Markdown file to one of its headings (GitHub's slugs). Links to other sites (http, https, mailto)
 * are not followed. Also keeps the README a front door: at most 300 lines, with the rest in docs/.
 */
class DocsLinksTest {
    static final int README_MAX_LINES = 300;
    static final int DOCS_MIN_PAGES = 5;

    @Test
    void everyRelativeLinkResolves() {
        List<Path> files = markdownFiles(DeployFiles.ROOT);
        assertThat(files)
                .as("the Markdown files checked")
                .contains(
                        DeployFiles.path("README.md"),
                        DeployFiles.path("BENCHMARKS.md"),
                        DeployFiles.path("docs/01-ingest.md"));
        List<String> broken = new ArrayList<>();
        int links = 0;
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (Path file : files) {
            for (Link link : Markdown.links(read(file))) {
                links++;
                broken.addAll(Markdown.check(DeployFiles.ROOT, file, link, anchors));
            }
        }
        assertThat(links).as("links found").isGreaterThan(20);
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void readmeIsAFrontDoorAndDocsHoldTheRest() throws IOException {
        long lines = read(DeployFiles.path("README.md")).lines().count();
        assertThat(lines).as("README.md lines").isLessThanOrEqualTo(README_MAX_LINES);
        try (Stream<Path> s = Files.list(DeployFiles.path("docs"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".md")).count())
                    .as("pages in docs/")
                    .isGreaterThanOrEqualTo(DOCS_MIN_PAGES);
        }
    }

    // ---- the checker checks ---------------------------------------------------------------------

    @Test
    void slugsFollowGitHub() {
        assertThat(Markdown.slug("Exactly once from the watch folder"))
                .isEqualTo("exactly-once-from-the-watch-folder");
        assertThat(Markdown.slug("What is validated, and what could not be"))
                .isEqualTo("what-is-validated-and-what-could-not-be");
        assertThat(Markdown.slug("Throughput: the model vs the pipeline"))
                .isEqualTo("throughput-the-model-vs-the-pipeline");
        assertThat(Markdown.slug("Alert latency (10 specimens × 120 cells, 1 s)"))
                .isEqualTo("alert-latency-10-specimens--120-cells-1-s");
        assertThat(Markdown.slug("The `specimens.status` topic and [FHIR](x.md)"))
                .isEqualTo("the-specimensstatus-topic-and-fhir");
        assertThat(Markdown.slug("snake_case and kebab-case"))
                .isEqualTo("snake_case-and-kebab-case");
    }

    @Test
    void linksInCodeAreNotLinksAndTitlesAreNotPaths() {
        String md =
                """
                # Title

                See [a](a.md), ![img](img/x.png "a picture") and [b](<b c.md>), [a link
                that wraps](wrapped.md). Not a link: `[x](nowhere.md)` nor

                ```bash
                echo [y](nowhere-either.md)
                ```

                [ref]: ref.md
                [web](https://example.org/x.md) [mail](mailto:x@example.org) [self](#title)
                """;
        assertThat(Markdown.links(md).stream().map(Link::target))
                .containsExactly(
                        "a.md",
                        "img/x.png",
                        "b c.md",
                        "wrapped.md",
                        "https://example.org/x.md",
                        "mailto:x@example.org",
                        "#title",
                        "ref.md");
    }

    @Test
    void aBrokenLinkOrAnchorIsReported(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(
                root.resolve("README.md"),
                """
                # Front door

                [ok](docs/page.md) [ok anchor](docs/page.md#second-part) [dir](docs/)
                [missing file](docs/gone.md) [missing anchor](docs/page.md#nowhere)
                [own anchor](#front-door) [own missing](#back-door) [outside](../elsewhere.md)
                """);
        Files.writeString(root.resolve("docs/page.md"), "# Page\n\n## Second part\n");
        Map<Path, Set<String>> anchors = new HashMap<>();
        List<String> broken = new ArrayList<>();
        Path readme = root.resolve("README.md");
        for (Link link : Markdown.links(read(readme))) {
            broken.addAll(Markdown.check(root, readme, link, anchors));
        }
        assertThat(broken)
                .hasSize(4)
                .anyMatch(b -> b.contains("docs/gone.md") && b.contains("no such file"))
                .anyMatch(b -> b.contains("#nowhere") && b.contains("no heading"))
                .anyMatch(b -> b.contains("#back-door") && b.contains("no heading"))
                .anyMatch(b -> b.contains("../elsewhere.md") && b.contains("outside"));
    }

    // ---- finding and reading the files ----------------------------------------------------------

    /** README.md, BENCHMARKS.md, docs/**.md, and the READMEs of the modules and of tools/*. */
    static List<Path> markdownFiles(Path root) {
        Set<Path> files = new LinkedHashSet<>();
        for (String name : List.of("README.md", "BENCHMARKS.md")) {
            if (Files.isRegularFile(root.resolve(name))) {
                files.add(root.resolve(name));
            }
        }
        try {
            if (Files.isDirectory(root.resolve("docs"))) {
                try (Stream<Path> s = Files.walk(root.resolve("docs"))) {
                    s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
                }
            }
            for (Path dir : List.of(root, root.resolve("tools"))) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (Stream<Path> s = Files.list(dir)) {
                    s.map(d -> d.resolve("README.md"))
                            .filter(Files::isRegularFile)
                            .sorted()
                            .forEach(files::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(files);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file.toString(), e);
        }
    }

    /** A link target as written, and the line it is on (1-based). */
    record Link(String target, int line) {}

    /**
     * Just enough Markdown for links and headings: fences, code spans, inline and reference links.
     */
    static final class Markdown {
        private Markdown() {}

        private static final Pattern FENCE = Pattern.compile("^\\s{0,3}(```|~~~)");
        private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
        // [text](target) or ![alt](target), target optionally in <>, optionally with a "title".
        private static final Pattern INLINE =
                Pattern.compile(
                        "!?\\[(?:[^\\[\\]]|\\[[^\\[\\]]*\\])*\\]\\(\\s*(<[^>]*>|[^\\s)]+)"
                                + "(?:\\s+(?:\"[^\"]*\"|'[^']*'|\\([^)]*\\)))?\\s*\\)");
        private static final Pattern REFERENCE =
                Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*(<[^>]*>|\\S+)");
        private static final Pattern HEADING =
                Pattern.compile("^\\s{0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
        private static final Pattern HTML_ID =
                Pattern.compile("<[a-zA-Z][^>]*\\s(?:id|name)\\s*=\\s*[\"']([^\"']+)[\"']");
        private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

        /**
         * Every link target in the text, outside code, in order; reference definitions come last. A
         * link's text may wrap onto the next line.
         */
        static List<Link> links(String markdown) {
            List<String> lines = proseLines(markdown);
            List<Link> references = new ArrayList<>();
            StringBuilder prose = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i) == null ? "" : lines.get(i);
                Matcher ref = REFERENCE.matcher(line);
                if (ref.find()) {
                    references.add(new Link(unbracket(ref.group(1)), i + 1));
                    line = "";
                }
                prose.append(line).append('\n');
            }
            List<Link> out = new ArrayList<>();
            Matcher m = INLINE.matcher(prose);
            int line = 1;
            int counted = 0;
            while (m.find()) {
                for (; counted < m.start(); counted++) {
                    line += prose.charAt(counted) == '\n' ? 1 : 0;
                }
                out.add(new Link(unbracket(m.group(1)), line));
            }
            out.addAll(references);
            return out;
        }

        /** The anchors a Markdown file offers: its headings' slugs and explicit HTML ids. */
        static Set<String> anchors(String markdown) {
            Set<String> out = new TreeSet<>();
            Map<String, Integer> seen = new HashMap<>();
            for (String line : proseLines(markdown)) {
                if (line == null) {
                    continue;
                }
                Matcher h = HEADING.matcher(line);
                if (h.matches()) {
                    String slug = slug(h.group(2));
                    int count = seen.merge(slug, 1, Integer::sum);
                    out.add(count == 1 ? slug : slug + "-" + (count - 1));
                }
                Matcher id = HTML_ID.matcher(line);
                while (id.find()) {
                    out.add(id.group(1));
                }
            }
            return out;
        }

        /**
         * GitHub's heading slug: the heading's text (code spans and links reduced to their text),
         * lower case, every character that is not a letter, digit, space, '-' or '_' dropped, and
         * each space turned into '-'.
         */
        static String slug(String heading) {
            String text =
                    heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1")
                            .replaceAll("<[^>]+>", "")
                            .replace("`", "")
                            .replace("*", "")
                            .strip()
                            .toLowerCase(java.util.Locale.ROOT);
            StringBuilder sb = new StringBuilder();
            text.codePoints()
                    .forEach(
                            c -> {
                                if (c == ' ') {
                                    sb.append('-');
                                } else if (c == '-' || c == '_' || Character.isLetterOrDigit(c)) {
                                    sb.appendCodePoint(c);
                                }
                            });
            return sb.toString();
        }

        /**
         * What is wrong with one link of {@code file}, if anything: a missing file or folder, a
         * path that leaves the repository, or an anchor with no heading. Links with a scheme (http,
         * https, mailto, ...) are not checked.
         */
        static List<String> check(
                Path root, Path file, Link link, Map<Path, Set<String>> anchorCache) {
            String target = link.target();
            String where = root.relativize(file) + ":" + link.line() + ": (" + target + ")";
            if (target.isEmpty() || SCHEME.matcher(target).find()) {
                return List.of();
            }
            int hash = target.indexOf('#');
            String path = hash < 0 ? target : target.substring(0, hash);
            String anchor = hash < 0 ? null : target.substring(hash + 1);
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            Path resolved;
            if (path.isEmpty()) {
                resolved = file;
            } else {
                String decoded =
                        URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
                resolved =
                        (decoded.startsWith("/")
                                        ? root.resolve(decoded.substring(1))
                                        : file.getParent().resolve(decoded))
                                .normalize();
                if (!resolved.startsWith(root.normalize())) {
                    return List.of(where + " points outside the repository");
                }
                if (!Files.exists(resolved)) {
                    return List.of(where + " no such file: " + root.relativize(resolved));
                }
            }
            if (anchor != null
                    && !anchor.isEmpty()
                    && Files.isRegularFile(resolved)
                    && resolved.getFileName().toString().endsWith(".md")) {
                Set<String> offered = anchorCache.computeIfAbsent(resolved, p -> anchors(read(p)));
                if (!offered.contains(anchor)) {
                    return List.of(
                            where
                                    + " no heading #"
                                    + anchor
                                    + " in "
                                    + root.relativize(resolved)
                                    + " (it has: "
                                    + String.join(", ", offered)
                                    + ")");
                }
            }
            return List.of();
        }

        /**
         * The lines of the text with fenced code blocks as null and code spans blanked, so that
         * neither yields links or headings; line numbers stay as in the file.
         */
        private static List<String> proseLines(String markdown) {
            List<String> out = new ArrayList<>();
            String fence = null;
            for (String line : markdown.split("\n", -1)) {
                Matcher f = FENCE.matcher(line);
                if (fence == null && f.find()) {
                    fence = f.group(1);
                    out.add(null);
                } else if (fence != null) {
                    if (line.strip().startsWith(fence)) {
                        fence = null;
                    }
                    out.add(null);
                } else {
                    out.add(blankCodeSpans(line));
                }
            }
            return out;
        }

        private static String blankCodeSpans(String line) {
            Matcher m = CODE_SPAN.matcher(line);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(sb, " ".repeat(m.group().length()));
            }
            m.appendTail(sb);
            return sb.toString();
        }

        private static String unbracket(String target) {
            String t = target.strip();
            return t.startsWith("<") && t.endsWith(">") ? t.substring(1, t.length() - 1) : t;
        }
    }
}
