package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Ten cancel-and-resubmit cycles of the job on one simulated TaskManager (issue 17, part 1).
 *
 * <p>A TaskManager of a session cluster loads every job's jar in a fresh child-first class loader
 * under {@code /opt/flink/lib} and drops it when the job ends. If anything JVM-wide (ImageIO's
 * registry or AppContext, a shutdown hook, a native library, a static cache in a lib/ class) keeps
 * a reference to one of the job's objects, the loader, all its classes and its native libraries
 * stay: metaspace grows by the job's footprint on every resubmit until {@code OutOfMemoryError:
 * Metaspace}.
 *
 * <p>Here the TaskManager's class loader is made from what the job image's {@code /opt/flink/lib}
 * holds: Flink's runtime jars ({@code job/target/flink-lib}, as JobJarIT picks them) plus the jars
 * the build puts there for the job ({@code job/target/bloomstream-onnxruntime.jar}: ONNX Runtime,
 * DJL, JNA). Each cycle creates the job's loader with Flink's own {@code FlinkUserCodeClassLoaders}
 * and the class-loading options of {@code k8s/flink/flinkdeployment.yaml}, then on a fresh thread
 * (as a task thread, with the job loader as its context loader) runs the fixture MIL model once,
 * decodes real crops of each format and embeds them as one batch with the fixture model, closes
 * everything, closes the loader and drops it. Then: the loader must be garbage collected, metaspace
 * after GC must stay within 10% of its level after the second cycle, and ONNX Runtime's native
 * library must be mapped once, not once per job.
 *
 * <p>Runs in its own JVM (failsafe {@code reuseForks=false}), so nothing another test loaded skews
 * the numbers.
 */
class SessionClusterLeakIT {
    private static final Path HOME =
            Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();
    private static final Path JAR = HOME.resolve("job/target/bloomstream-job.jar");
    private static final Path FLINK_LIB = HOME.resolve("job/target/flink-lib");
    private static final Path MODEL = HOME.resolve("models/fixtures/vit-tiny.onnx");
    private static final Path MIL = HOME.resolve("models/fixtures/mil-vit-tiny.json");
    private static final Path DATA = HOME.resolve("../shared/data").normalize();
    private static final int CYCLES = 10;

    @Test
    void tenCancelAndResubmitCyclesLeaveNoJobClassLoaderAndFlatMetaspace() throws Exception {
        assertThat(JAR).as("built by mvn package").isRegularFile();
        Map<String, byte[]> crops = crops();
        Map<String, String> flinkConf = taskManagerConfig();
        int nativeBefore = onnxRuntimeLibrariesMapped().size();

        List<WeakReference<ClassLoader>> jobs = new ArrayList<>();
        long[] metaspace = new long[CYCLES];
        List<String> results = new ArrayList<>();
        try (URLClassLoader taskManager = taskManagerClassLoader()) {
            for (int i = 0; i < CYCLES; i++) {
                AtomicReference<String> result = new AtomicReference<>();
                jobs.add(submitRunAndCancel(taskManager, flinkConf, crops, i, result));
                results.add(result.get());
                awaitCollected(jobs.get(i));
                metaspace[i] = metaspaceUsedAfterGc();
            }
        }

        List<Integer> alive = new ArrayList<>();
        for (int i = 0; i < CYCLES; i++) {
            if (!awaitCollected(jobs.get(i))) {
                alive.add(i + 1);
            }
        }
        Set<String> mapped = onnxRuntimeLibrariesMapped();
        StringBuilder report = new StringBuilder("metaspace used after GC, MB, per cycle:");
        for (long m : metaspace) {
            report.append(String.format(" %.1f", m / 1048576.0));
        }
        report.append("; job class loaders alive after GC: ").append(alive);
        report.append("; libonnxruntime.so copies mapped: ").append(mapped.size());
        System.out.println("SessionClusterLeakIT: " + report);
        System.out.println("SessionClusterLeakIT: first cycle " + results.get(0));

        assertThat(results)
                .as("every cycle decoded and embedded")
                .allMatch(r -> r.startsWith("ok"));
        assertThat(alive).as("job class loaders still reachable after GC (%s)", report).isEmpty();
        for (int i = 2; i < CYCLES; i++) {
            assertThat((double) metaspace[i])
                    .as("metaspace after cycle %d vs after cycle 2 (%s)", i + 1, report)
                    .isLessThanOrEqualTo(metaspace[1] * 1.10);
        }
        if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_TURBOJPEG"))) {
            // Every job opened the system's libjpeg-turbo through JNA (parent-first), and the
            // loaders above were still collected: JNA's state holds none of them. JNA closes the
            // library once the last job that used it is collected, so it is mapped at most once.
            assertThat(results).allMatch(r -> r.contains("JPEG through libjpeg-turbo"));
            assertThat(librariesMapped("/libturbojpeg.so")).hasSizeLessThanOrEqualTo(1);
        }
        if (!mapped.isEmpty() || nativeBefore > 0) {
            assertThat(mapped.size())
                    .as("ONNX Runtime's native library is loaded once per TaskManager (%s)", mapped)
                    .isLessThanOrEqualTo(nativeBefore + 1);
        }
    }

    /**
     * One job's life on the TaskManager: its class loader, a task thread that decodes and embeds,
     * then cancel (close what the task opened, close the loader). Returns only a weak reference.
     */
    private static WeakReference<ClassLoader> submitRunAndCancel(
            ClassLoader taskManager,
            Map<String, String> flinkConf,
            Map<String, byte[]> crops,
            int cycle,
            AtomicReference<String> result)
            throws Exception {
        URLClassLoader job = userCodeClassLoader(taskManager, flinkConf);
        AtomicReference<WeakReference<ClassLoader>> defining = new AtomicReference<>();
        Thread task =
                new Thread(
                        () -> {
                            try {
                                result.set(decodeAndEmbed(job, crops, defining));
                            } catch (Throwable t) {
                                // never keep a job-loaded Throwable: it would pin the loader
                                StringWriter s = new StringWriter();
                                t.printStackTrace(new PrintWriter(s));
                                result.set("failed: " + s);
                            }
                        },
                        "decode-resize -> micro-batch-embed (1/1)#" + cycle);
        task.setContextClassLoader(job);
        task.start();
        task.join(120_000);
        assertThat(task.isAlive()).as("task thread of cycle %d finished", cycle + 1).isFalse();
        job.close();
        return defining.get() != null ? defining.get() : new WeakReference<>(job);
    }

    private static String decodeAndEmbed(
            ClassLoader job,
            Map<String, byte[]> crops,
            AtomicReference<WeakReference<ClassLoader>> defining)
            throws Exception {
        Class<?> limits = job.loadClass("org.bloomstream.inference.image.ImageLimits");
        Class<?> decoderClass = job.loadClass("org.bloomstream.inference.image.CropImageDecoder");
        // With Flink's leak check on, `job` is a wrapper; the classes' own loader is the one that
        // must go away.
        defining.set(new WeakReference<>(decoderClass.getClassLoader()));
        assertThat(decoderClass.getProtectionDomain().getCodeSource().getLocation())
                .isEqualTo(JAR.toUri().toURL());
        Object decoder =
                decoderClass
                        .getConstructor(limits)
                        .newInstance(limits.getField("DEFAULT").get(null));
        Method decode = decoderClass.getMethod("decode", byte[].class);

        // Flink opens a chain from its tail: the MIL model may be the first to start ONNX Runtime.
        Class<?> onnxMil = job.loadClass("org.bloomstream.aggregation.mil.OnnxMilModel");
        Object mil = onnxMil.getMethod("load", Path.class).invoke(null, MIL);
        Object milRuntime = onnxMil.getMethod("open").invoke(mil);
        Class<?> runtime = job.loadClass("org.bloomstream.aggregation.mil.MilModel$Runtime");
        float[] attention =
                (float[])
                        runtime.getMethod("attention", float[].class)
                                .invoke(milRuntime, new float[64]);
        runtime.getMethod("close").invoke(milRuntime);
        assertThat(attention).isNotEmpty();

        Class<?> exec = job.loadClass("org.bloomstream.inference.model.ExecutionConfig");
        Class<?> onnx = job.loadClass("org.bloomstream.inference.model.OnnxEmbedder");
        Object embedder =
                onnx.getMethod("open", Path.class, exec)
                        .invoke(null, MODEL, exec.getField("DEFAULT").get(null));
        try {
            int size = (int) onnx.getMethod("imageSize").invoke(embedder);
            Method resize =
                    job.loadClass("org.bloomstream.inference.image.AntialiasedResize")
                            .getMethod(
                                    "resizeToRgb",
                                    java.awt.image.BufferedImage.class,
                                    int.class,
                                    int.class);
            byte[][] batch = new byte[crops.size()][];
            StringBuilder what = new StringBuilder();
            int n = 0;
            for (Map.Entry<String, byte[]> crop : crops.entrySet()) {
                java.awt.image.BufferedImage image =
                        (java.awt.image.BufferedImage) invoke(decode, decoder, crop.getValue());
                what.append(crop.getKey())
                        .append(' ')
                        .append(image.getWidth())
                        .append('x')
                        .append(image.getHeight())
                        .append(", ");
                batch[n++] = (byte[]) resize.invoke(null, image, size, size);
            }
            float[][] out =
                    (float[][])
                            invoke(
                                    onnx.getMethod("embed", byte[][].class, int.class),
                                    embedder,
                                    batch,
                                    n);
            assertThat(out).hasNumberOfRows(n);
            for (float[] row : out) {
                for (float v : row) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
            String jpegs =
                    (String)
                            job.loadClass("org.bloomstream.inference.image.TurboJpeg")
                                    .getMethod("status")
                                    .invoke(null);
            return "ok: "
                    + what
                    + "embedded "
                    + out.length
                    + "x"
                    + out[0].length
                    + "; JPEG through "
                    + jpegs;
        } finally {
            onnx.getMethod("close").invoke(embedder);
        }
    }

    private static Object invoke(Method m, Object target, Object... args) throws Exception {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    /** The job's class loader, made as Flink's BlobLibraryCacheManager makes it. */
    private static URLClassLoader userCodeClassLoader(
            ClassLoader taskManager, Map<String, String> flinkConf) throws Exception {
        Class<?> configuration =
                taskManager.loadClass("org.apache.flink.configuration.Configuration");
        Object conf = configuration.getMethod("fromMap", Map.class).invoke(null, flinkConf);
        Class<?> loaders = taskManager.loadClass("org.apache.flink.util.FlinkUserCodeClassLoaders");
        Class<?> readable = taskManager.loadClass("org.apache.flink.configuration.ReadableConfig");
        return (URLClassLoader)
                loaders.getMethod("create", URL[].class, ClassLoader.class, readable)
                        .invoke(null, new URL[] {JAR.toUri().toURL()}, taskManager, conf);
    }

    /**
     * The TaskManager's class-loading options: Flink's defaults plus what the FlinkDeployment sets
     * ({@code classloader.*}).
     */
    private static Map<String, String> taskManagerConfig() throws IOException {
        Map<String, String> conf = new HashMap<>();
        Matcher m =
                Pattern.compile(
                                "^\\s+(classloader\\.[a-z.-]+):\\s*\"?([^\"\\n]*)\"?\\s*$",
                                Pattern.MULTILINE)
                        .matcher(Files.readString(HOME.resolve("k8s/flink/flinkdeployment.yaml")));
        while (m.find()) {
            conf.put(m.group(1), m.group(2).trim());
        }
        return conf;
    }

    /** What the job image's /opt/flink/lib holds, with the platform class loader as parent. */
    private static URLClassLoader taskManagerClassLoader() throws IOException {
        List<URL> urls = new ArrayList<>();
        for (Path p : JobJarIT.flinkDistJars(FLINK_LIB)) {
            urls.add(p.toUri().toURL());
        }
        // what the build puts into the image's lib for the job (absent before issue 17)
        if (Files.isRegularFile(JobJarIT.ORT_LIB_JAR)) {
            urls.add(JobJarIT.ORT_LIB_JAR.toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    /** One real crop of each format the decoder serves, read as bytes (no ImageIO here). */
    private static Map<String, byte[]> crops() throws IOException {
        Map<String, byte[]> crops = new LinkedHashMap<>();
        first(DATA.resolve("wbc-bccd/images"), ".jpg").ifPresent(p -> crops.put("jpeg", read(p)));
        first(DATA.resolve("wbc-jtsc/images"), ".bmp").ifPresent(p -> crops.put("bmp", read(p)));
        first(DATA.resolve("aml-cytomorphology-lmu/images"), ".tiff")
                .ifPresent(p -> crops.put("tiff", read(p)));
        if (crops.isEmpty()) {
            // No shared data set on this machine: the fixture crops' first image would need
            // encoding, which would touch ImageIO outside a job; a minimal valid BMP does not.
            crops.put("bmp", minimalBmp(32, 32));
        }
        return crops;
    }

    private static Optional<Path> first(Path dir, String suffix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix))
                    .sorted()
                    .findFirst();
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A 24-bit BMP of a pink disc on white, written by hand. */
    static byte[] minimalBmp(int w, int h) {
        int row = (w * 3 + 3) & ~3;
        int size = 54 + row * h;
        java.nio.ByteBuffer b =
                java.nio.ByteBuffer.allocate(size).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(size).putInt(0).putInt(54);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24);
        b.putInt(0).putInt(row * h).putInt(2835).putInt(2835).putInt(0).putInt(0);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int dx = x - w / 2;
                int dy = y - h / 2;
                boolean cell = dx * dx + dy * dy < w * w / 9;
                b.put((byte) (cell ? 200 : 255))
                        .put((byte) (cell ? 120 : 255))
                        .put((byte) (cell ? 220 : 255));
            }
            for (int p = w * 3; p < row; p++) {
                b.put((byte) 0);
            }
        }
        return b.array();
    }

    private static boolean awaitCollected(WeakReference<?> ref) throws InterruptedException {
        for (int i = 0; i < 100 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ref.get() == null;
    }

    private static long metaspaceUsedAfterGc() throws InterruptedException {
        System.gc();
        Thread.sleep(50);
        System.gc();
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getName().equals("Metaspace"))
                .mapToLong(p -> p.getUsage().getUsed())
                .findFirst()
                .orElseThrow();
    }

    /** Distinct files mapped as ONNX Runtime's core library (each job's extracted copy differs). */
    private static Set<String> onnxRuntimeLibrariesMapped() throws IOException {
        return librariesMapped("/libonnxruntime.so");
    }

    /** Distinct mapped files whose path contains {@code name}. */
    private static Set<String> librariesMapped(String name) throws IOException {
        Path maps = Path.of("/proc/self/maps");
        Set<String> libs = new TreeSet<>();
        if (!Files.isReadable(maps)) {
            return libs;
        }
        for (String line : Files.readAllLines(maps)) {
            int slash = line.indexOf('/');
            if (slash >= 0 && line.contains(name)) {
                libs.add(line.substring(slash));
            }
        }
        return libs;
    }
}
